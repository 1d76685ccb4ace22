import type { TargetState, ZipTarget } from "./builder";
import type { ScratchStore } from "./record-log";

const ZIP_METADATA = { httpMetadata: { contentType: "application/zip" } };

/**
 * The zip as an R2 multipart upload: parts of equal size (the PartBuffer makes them so) numbered from 1, the upload
 * created only once a first full part exists, so a small archive is a single put. Its state (upload id and uploaded
 * parts) goes into the checkpoint.
 */
export class R2ZipTarget implements ZipTarget {
  private readonly state: TargetState;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    state?: TargetState,
  ) {
    this.state = state ? { upload_id: state.upload_id, parts: [...state.parts] } : { upload_id: null, parts: [] };
  }

  async uploadPart(bytes: Uint8Array): Promise<void> {
    if (!this.state.upload_id) {
      this.state.upload_id = (await this.bucket.createMultipartUpload(this.key, ZIP_METADATA)).uploadId;
    }
    const partNumber = this.state.parts.length + 1;
    const part = await this.upload().uploadPart(partNumber, bytes);
    this.state.parts.push({ partNumber: part.partNumber, etag: part.etag });
  }

  async complete(last: Uint8Array): Promise<void> {
    if (!this.state.upload_id) {
      await this.bucket.put(this.key, last, ZIP_METADATA);
      return;
    }
    if (last.length) await this.uploadPart(last);
    await this.upload().complete(this.state.parts);
  }

  async abort(): Promise<void> {
    if (!this.state.upload_id) return;
    try {
      await this.upload().abort();
    } catch {
      // Already completed or aborted: nothing left to clean.
    }
  }

  save(): TargetState {
    return { upload_id: this.state.upload_id, parts: [...this.state.parts] };
  }

  private upload(): R2MultipartUpload {
    return this.bucket.resumeMultipartUpload(this.key, this.state.upload_id!);
  }
}

/** A build's temporary objects, under `{r2_key}.tmp/`: deleted when the build completes or is discarded. */
export class R2Scratch implements ScratchStore {
  constructor(
    private readonly bucket: R2Bucket,
    private readonly prefix: string,
  ) {}

  async put(name: string, data: Uint8Array | string): Promise<void> {
    await this.bucket.put(this.prefix + name, data);
  }

  async get(name: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(this.prefix + name);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  }

  async delete(names: string[]): Promise<void> {
    // R2 deletes at most 1000 keys per call.
    for (let i = 0; i < names.length; i += 1000) {
      await this.bucket.delete(names.slice(i, i + 1000).map((name) => this.prefix + name));
    }
  }
}

export const scratchPrefix = (r2Key: string) => `${r2Key}.tmp/`;
