import { expect } from "vitest";
import { TransferError } from "../../src/transfer/types";

/** The TransferError a transfer fails with (the test fails if it succeeds or throws anything else). */
export async function transferFailure(transfer: Promise<unknown>): Promise<TransferError> {
  const outcome = await transfer.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(TransferError);
  return outcome as TransferError;
}
