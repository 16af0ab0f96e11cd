import {
  controllerConfig,
  startController,
  type ControllerConfig,
  type RunningController,
} from '@kentaur/controller';
import { testKubeconfig } from './cluster';

/**
 * The controller in this process against the cluster under test, tuned for tests: sandbox mode
 * (KWOK run times reach the pods), fast pool resyncs and cycles, a free health port.
 */
export function startTestController(
  o: { namespace: string; identity: string } & Partial<ControllerConfig>,
): Promise<RunningController> {
  return startController(
    controllerConfig({
      kubeconfig: testKubeconfig(),
      healthPort: 0,
      sandbox: true,
      poolResyncDelayMs: 100,
      schedulingIntervalMs: 200,
      ...o,
    }),
  );
}
