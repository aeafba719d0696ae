// Which cluster to talk to: an explicit kubeconfig file, else the pod's service account when running in
// a cluster, else the user's ~/.kube/config.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, type KubernetesSettings } from '../../config.js';

export function loadKubeConfig(settings: KubernetesSettings): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
    else if (settings.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (error) {
    throw new ConfigError(`could not load the Kubernetes configuration${settings.kubeconfig ? ` from KUBECONFIG=${settings.kubeconfig}` : ''}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigError('no Kubernetes cluster is configured: set KUBECONFIG, run in a pod, or create ~/.kube/config');
  }
  return kc;
}
