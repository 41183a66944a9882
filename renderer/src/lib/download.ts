// Browser downloads (kmodel serve, or the app without a native dialog): one anchor click.

/** Starts a download of `href` (a data: or blob: URL) named `filename`. */
export function downloadHref(filename: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Starts a download of `blob` named `filename`. */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  downloadHref(filename, url);
  // The click has handed the blob to the download by the next tasks; free it then.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
