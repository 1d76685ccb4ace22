import { inject } from "vitest";
import { unique } from "./api";

/** An s3 archive target's fields for the loopback bucket (test/helpers/global-s3.ts), under a fresh folder of `area`. */
export function loopbackS3Target(area: string) {
  const s3 = inject("s3");
  return {
    type: "s3",
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: `${area}/${unique("warehouse")}/`,
    access_key_id: s3.accessKeyId,
    secret_access_key: s3.secretAccessKey,
  };
}
