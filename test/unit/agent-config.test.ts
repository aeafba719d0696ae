import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { parseAgentConfig } from '../../services/agent/src/config.js';
import { AgentConfigError } from '../../services/agent/src/errors.js';

const ARGS = ['--run-id', 'run-1', '--controller-url', 'http://127.0.0.1:8080'];
const ENV = { AUTORESEARCH_RUN_TOKEN: 'secret', PATH: '/usr/bin', HOME: '/root', DATABASE_URL: 'postgres://x', CUDA_VISIBLE_DEVICES: '1' };

const configError = (pattern: RegExp) => (error: unknown) => error instanceof AgentConfigError && pattern.test(error.message);

describe('parseAgentConfig', () => {
  it('reads arguments and the token from the environment, with defaults', () => {
    const config = parseAgentConfig(ARGS, ENV);
    assert.equal(config.runId, 'run-1');
    assert.equal(config.controllerUrl.href, 'http://127.0.0.1:8080/');
    assert.equal(config.token, 'secret');
    assert.equal(config.transport, 'ipc');
    assert.equal(config.workRoot, tmpdir());
  });

  it('passes on only PATH, LANG and GPU visibility to experiments', () => {
    assert.deepEqual(parseAgentConfig(ARGS, ENV).inheritedEnv, { PATH: '/usr/bin', CUDA_VISIBLE_DEVICES: '1' });
  });

  it('accepts --transport ipc and --work-root, resolving a relative root', () => {
    const config = parseAgentConfig([...ARGS, '--transport', 'ipc', '--work-root', 'runs'], ENV);
    assert.equal(config.workRoot, `${process.cwd()}/runs`);
  });

  it('names the missing option', () => {
    assert.throws(() => parseAgentConfig(['--controller-url', 'http://x'], ENV), configError(/--run-id is required/));
    assert.throws(() => parseAgentConfig(['--run-id', 'r'], ENV), configError(/--controller-url is required/));
  });

  it('refuses a bad URL, run id or transport', () => {
    assert.throws(() => parseAgentConfig(['--run-id', 'r', '--controller-url', 'not a url'], ENV), configError(/--controller-url is not a valid URL/));
    assert.throws(() => parseAgentConfig(['--run-id', 'r', '--controller-url', 'ftp://x'], ENV), configError(/http or https/));
    assert.throws(() => parseAgentConfig(['--run-id', '../x', '--controller-url', 'http://x'], ENV), configError(/--run-id must be/));
    assert.throws(() => parseAgentConfig([...ARGS, '--transport', 'carrier-pigeon'], ENV), configError(/--transport must be "ipc" or "nats"/));
  });

  it('takes --transport nats with a NATS URL, and names the missing or bad one', () => {
    const config = parseAgentConfig([...ARGS, '--transport', 'nats', '--nats-url', 'nats://127.0.0.1:4222'], ENV);
    assert.equal(config.transport, 'nats');
    assert.equal(config.natsUrl, 'nats://127.0.0.1:4222');
    assert.throws(() => parseAgentConfig([...ARGS, '--transport', 'nats'], ENV), configError(/--nats-url is required with --transport nats/));
    assert.throws(() => parseAgentConfig([...ARGS, '--transport', 'nats', '--nats-url', 'http://x'], ENV), configError(/--nats-url/));
  });

  it('refuses unknown options, including a token on the command line', () => {
    assert.throws(() => parseAgentConfig([...ARGS, '--token', 'secret'], ENV), configError(/Unknown option '--token'/));
  });

  it('requires the token in the environment', () => {
    assert.throws(() => parseAgentConfig(ARGS, {}), configError(/AUTORESEARCH_RUN_TOKEN is not set/));
    assert.throws(() => parseAgentConfig(ARGS, { AUTORESEARCH_RUN_TOKEN: '  ' }), configError(/AUTORESEARCH_RUN_TOKEN is not set/));
  });
});

describe('the model API of skill runs', () => {
  it('is read from ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, and never passed on to experiments', () => {
    const config = parseAgentConfig(ARGS, { ...ENV, ANTHROPIC_API_KEY: 'sk-ant-1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/' });
    assert.deepEqual(config.modelApi, { apiKey: 'sk-ant-1', baseUrl: 'http://127.0.0.1:9/' });
    assert.equal(Object.keys(config.inheritedEnv).some((name) => name.startsWith('ANTHROPIC_')), false);
    assert.equal(parseAgentConfig(ARGS, ENV).modelApi, undefined);
  });

  it('refuses a base URL that is not http(s), or one without a key', () => {
    assert.throws(() => parseAgentConfig(ARGS, { ...ENV, ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'ftp://x' }), configError(/ANTHROPIC_BASE_URL must be an http or https URL/));
    assert.throws(() => parseAgentConfig(ARGS, { ...ENV, ANTHROPIC_BASE_URL: 'http://x' }), configError(/ANTHROPIC_API_KEY is not/));
  });
});
