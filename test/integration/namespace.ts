// Test teardown: delete a namespace and wait until the namespace controller has emptied and
// finalized it (gone means 404).
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from './wait.ts';

const isNotFound = (err: unknown) => err instanceof ApiException && err.code === 404;

export async function deleteNamespaceAndWait(core: CoreV1Api, name: string, timeoutMs: number, what = `namespace ${name} to be finalized and deleted`): Promise<void> {
  try {
    await core.deleteNamespace({ name, gracePeriodSeconds: 0 });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await waitFor(
    async () => {
      try {
        await core.readNamespace({ name });
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
    { timeoutMs, what },
  );
}
