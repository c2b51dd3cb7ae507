import type { EmbeddedS3Handle } from '../embedded/embedded-s3.js';
import { ObjectStore } from '../storage/object-store.js';

/** For tests: an object store on a test's own embedded S3 server (its key pair, buckets in the path). */
export function embeddedStore(s3: EmbeddedS3Handle, bucket = 'gic-test'): ObjectStore {
  return new ObjectStore({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    ...s3.credentials,
    bucket,
    forcePathStyle: true,
  });
}
