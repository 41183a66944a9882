import { describe, expect, it } from 'vitest';
import { ChosenPaths, writeRefusal } from './chosen-paths';

describe('ChosenPaths', () => {
  it('allows models/ and the files the user picked, nothing else', () => {
    const c = new ChosenPaths(['/opt/kmodel/models']);
    expect(c.allows('/opt/kmodel/models/tcp_cc.yaml')).toBe(true);
    expect(c.allows('/opt/kmodel/models/../package.json')).toBe(false);
    expect(c.allows('/opt/kmodel/models')).toBe(false);
    expect(c.allows('/home/u/mine.yaml')).toBe(false);
    c.choose('/home/u/./mine.yaml');
    expect(c.allows('/home/u/mine.yaml')).toBe(true);
    expect(c.allows('/home/u/other.yaml')).toBe(false);
  });

  it('refuses saveModel to other paths and leaves reads and bad params alone', () => {
    const c = new ChosenPaths(['/m']);
    expect(writeRefusal('saveModel', { path: '/etc/x.yaml', text: '' }, c)).toBe(
      '/etc/x.yaml: not a file opened or chosen in this app; use Save As',
    );
    expect(writeRefusal('saveModel', { path: '/m/a.yaml', text: '' }, c)).toBeNull();
    expect(writeRefusal('openModelFile', { path: '/etc/x.yaml' }, c)).toBeNull();
    expect(writeRefusal('saveModel', null, c)).toBeNull();
  });
});
