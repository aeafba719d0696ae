// Stop and resume, as POST /v1/studies/:id/stop and /resume.
import { apiPost } from '../api/client.js';
import { fill, h } from '../dom.js';
import type { Study } from '../api/types.js';

export function renderStudyControls(target: HTMLElement, study: Study, onChanged: (study: Study) => void): void {
  const message = h('span', { class: 'control-message' });
  const act = async (action: 'stop' | 'resume', button: HTMLButtonElement) => {
    if (action === 'stop' && !window.confirm(`Stop "${study.name}"? Running runs are stopped and recorded; it can be resumed.`)) return;
    button.disabled = true;
    message.textContent = action === 'stop' ? 'Stopping…' : 'Resuming…';
    try {
      const changed = await apiPost<Study>(`/v1/studies/${encodeURIComponent(study.id)}/${action}`);
      message.textContent = '';
      onChanged({ ...study, ...changed });
    } catch (error) {
      message.textContent = (error as Error).message;
      button.disabled = false;
    }
  };
  const active = study.status === 'running' || study.status === 'paused';
  const stop = h('button', { type: 'button', class: 'danger', 'data-action': 'stop', disabled: !active, onclick: () => void act('stop', stop) }, 'Stop study');
  const resume = h('button', { type: 'button', 'data-action': 'resume', disabled: study.status !== 'stopped' && study.status !== 'completed', onclick: () => void act('resume', resume) }, 'Resume');
  fill(target, stop, resume, message);
}
