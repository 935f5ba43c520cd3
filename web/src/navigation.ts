/** Client-side navigation (the gateway answers every UI path with index.html). */
export function go(path: string): void {
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
