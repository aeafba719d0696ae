// The API token of a signed-in browser: in localStorage when the person asked to be remembered, else in
// sessionStorage (gone with the tab). Never in a URL, where logs and histories would keep it.
const KEY = 'autoresearch.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

export function saveToken(token: string, remember: boolean): void {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}
