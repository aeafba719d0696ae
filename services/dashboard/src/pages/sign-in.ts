// The sign-in form: this server wants an API token (`autoresearch token create --team T`). The token is
// checked against the API before it is kept.
import { ApiError, apiRequest } from '../api/client.js';
import { saveToken } from '../api/token.js';
import { fill, h } from '../dom.js';
import type { Page } from './page.js';

export function mountSignIn(root: HTMLElement, onSignedIn: () => void, hadToken: boolean): Page {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, placeholder: 'API token', 'aria-label': 'API token' });
  const remember = h('input', { type: 'checkbox', name: 'remember', checked: true });
  const message = h('p', { class: 'error', role: 'alert' }, hadToken ? 'Your token was not accepted (revoked, or for another server). Sign in again.' : '');
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'sign-in' },
    h('h1', null, 'Sign in'),
    h('p', null, 'This server needs an API token. Ask your admin, or create one with ', h('code', null, 'autoresearch token create --team <team>'), '. You will see your team’s studies only.'),
    token,
    h('label', { class: 'remember' }, remember, ' Remember on this browser'),
    submit,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const candidate = token.value.trim();
    if (!candidate) return;
    submit.disabled = true;
    message.textContent = '';
    apiRequest('GET', '/v1/studies?limit=1', { token: candidate })
      .then(() => {
        saveToken(candidate, remember.checked);
        onSignedIn();
      })
      .catch((error: unknown) => {
        message.textContent = error instanceof ApiError && error.status === 401 ? 'That token was not accepted.' : (error as Error).message;
        submit.disabled = false;
      });
  });
  fill(root, form);
  token.focus();
  return { dispose() {} };
}
