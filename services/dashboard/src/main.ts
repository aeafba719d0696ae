// The dashboard's entry: routes the hash to a page, and asks for a token whenever the API wants one.
import 'uplot/dist/uPlot.min.css';
import '../styles/app.css';
import { whenUnauthorized } from './api/client.js';
import { clearToken, getToken } from './api/token.js';
import { fill, h } from './dom.js';
import { mountExperimentPage } from './pages/experiment-page.js';
import type { Page } from './pages/page.js';
import { mountQueuePage } from './pages/queue-page.js';
import { mountSignIn } from './pages/sign-in.js';
import { mountStudiesPage } from './pages/studies-page.js';
import { mountStudyPage } from './pages/study-page.js';
import { parseRoute } from './router.js';

const root = document.getElementById('page')!;
const session = document.getElementById('session')!;
let current: Page | null = null;
let signingIn = false;

function show(mount: () => Page): void {
  current?.dispose();
  current = null;
  window.scrollTo(0, 0);
  current = mount();
}

function renderSession(): void {
  if (!getToken()) {
    session.replaceChildren();
    return;
  }
  fill(session, 'signed in · ', h('a', { href: '#/', onclick: (event) => {
    event.preventDefault();
    clearToken();
    showSignIn(false);
  } }, 'sign out'));
}

function route(): void {
  if (signingIn) return;
  const target = parseRoute(location.hash);
  renderSession();
  switch (target.page) {
    case 'studies':
      return show(() => mountStudiesPage(root));
    case 'study':
      return show(() => mountStudyPage(root, target.studyId));
    case 'experiment':
      return show(() => mountExperimentPage(root, target.studyId, target.number));
    case 'queue':
      return show(() => mountQueuePage(root));
    case 'not-found':
      return show(() => {
        fill(root, h('h1', null, 'Not found'), h('p', null, 'No page here. ', h('a', { href: '#/' }, 'All studies')));
        return { dispose() {} };
      });
  }
}

function showSignIn(hadToken: boolean): void {
  if (signingIn) return;
  signingIn = true;
  renderSession();
  show(() => mountSignIn(root, () => {
    signingIn = false;
    route();
  }, hadToken));
}

whenUnauthorized(() => {
  const hadToken = getToken() !== null;
  if (hadToken) clearToken();
  showSignIn(hadToken);
});
window.addEventListener('hashchange', route);
route();
