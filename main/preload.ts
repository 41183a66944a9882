// Sandboxed preload: exposes the typed API as window.kmodel, one IPC call per
// method. Nothing else of Electron or Node reaches the page.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { API_METHODS, type ApiEnvelope } from './api/types';

const api: Record<string, (params?: unknown) => Promise<unknown>> = {};
for (const method of API_METHODS) {
  api[method] = async (params?: unknown) => {
    const env = (await ipcRenderer.invoke(`kmodel:${method}`, params)) as ApiEnvelope;
    if (!env.ok) throw new Error(env.error.message);
    return env.result;
  };
}

contextBridge.exposeInMainWorld('kmodel', api);

// Menu commands the renderer acts on (open a file, export a view…).
contextBridge.exposeInMainWorld('kmodelMenu', {
  on: (listener: (command: string, arg?: string) => void) => {
    ipcRenderer.on('kmodel:menu', (_e, command: string, arg?: string) => listener(command, arg));
  },
  save: (req: { text: string; name: string; ext: string; as: boolean }) =>
    ipcRenderer.invoke('kmodel:save', req),
});

// Model documents: the native Save As dialog, the unsaved-changes prompt on
// close, and a dropped file's path (File objects carry none in a sandbox).
contextBridge.exposeInMainWorld('kmodelDocs', {
  pickModelPath: (defaultPath: string) => ipcRenderer.invoke('kmodel:pick-model-path', defaultPath),
  setDirty: (dirty: boolean) => ipcRenderer.send('kmodel:dirty', dirty === true),
  closeWindow: () => ipcRenderer.send('kmodel:close-window'),
  pathForFile: (file: File) => {
    const path = webUtils.getPathForFile(file);
    // Main lets the API save only to files the user picked; a drop is such a pick.
    if (path) ipcRenderer.send('kmodel:dropped-path', path);
    return path;
  },
});

// Cancel: stops this window's long API calls (the worker running them is stopped).
// onProgress: how far they are (one listener at a time; null stops listening).
let progressListener: ((p: unknown) => void) | null = null;
ipcRenderer.on('kmodel:progress', (_e, p: unknown) => progressListener?.(p));
contextBridge.exposeInMainWorld('kmodelCalls', {
  cancel: () => ipcRenderer.send('kmodel:cancel'),
  onProgress: (listener: ((p: unknown) => void) | null) => {
    progressListener = typeof listener === 'function' ? listener : null;
  },
});

// The review report as a PDF file: main asks where, then prints this window (printToPDF).
contextBridge.exposeInMainWorld('kmodelReport', {
  savePdf: (model: string) => ipcRenderer.invoke('kmodel:save-report-pdf', String(model)),
});
