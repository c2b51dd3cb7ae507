import { modelManifestSchema } from '@gic/shared/analysis/model-manifest.js';
import { readJson } from '@gic/shared/http/request-context.js';
import { modelIdSchema, modelVersionSchema } from '@gic/shared/messages/model-install.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { ModelFileRefused, storeModelFile } from '../models/model-file-upload.js';
import { findModel, insertModel, listModels, markFileStored, modelFileKey } from '../models/models-repo.js';
import type { ObjectStore } from '../storage/object-store.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

/** `POST /api/v1/models`: the manifest; its files follow, each by `PUT .../files/{name}`. */
export const modelCreateSchema = z.object({ manifest: modelManifestSchema }).strict();

/** Largest model file taken (bytes): the VLMs we ship are about 3 GB. */
const MAX_FILE_BYTES = 8 * 1024 ** 3;

function bodyStream(c: Context<HubEnv>): AsyncIterable<Uint8Array> {
  const body = c.req.raw.body;
  if (!body) return (async function* () {})();
  return body as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Models (fleet, admin): register a model version by its manifest, then stream each file as the raw
 * body of a PUT; each is stored under `models/{id}/{version}/{name}` only if its SHA-256 is the
 * manifest's. A version is ready to roll out once every file is stored. Models belong to no site.
 */
export function modelRoutes({ db, store, auth }: { db: Database; store: ObjectStore; auth: UserAuth }) {
  const manage = allow(auth, 'models.manage');
  return new Hono<HubEnv>()
    .post('/', audit('model.create', 'model'), manage, async (c) => {
      const { manifest } = await readJson(c, modelCreateSchema);
      if (!modelVersionSchema.safeParse(manifest.version).success)
        throw new HTTPException(400, {
          message: 'manifest.version: letters, digits, and . _ + - (at most 50)',
        });
      const names = manifest.files.map((f) => f.name);
      if (new Set(names).size !== names.length)
        throw new HTTPException(400, { message: 'manifest.files: a file name is given twice' });
      const model = await insertModel(db, {
        id: manifest.id,
        version: manifest.version,
        task: manifest.task,
        manifest,
        uploadedBy: c.get('user')!.username,
      });
      if (!model)
        throw new HTTPException(409, { message: `model ${manifest.id} version ${manifest.version} exists` });
      auditObject(c, `${model.id}@${model.version}`);
      return c.json(
        {
          ...model,
          uploads: names.map((name) => ({
            name,
            path: `/api/v1/models/${model.id}/${model.version}/files/${name}`,
          })),
        },
        201,
      );
    })
    .get('/', audit('model.list', 'model'), manage, async (c) => c.json({ items: await listModels(db) }))
    .put('/:id/:version/files/:name', audit('model.file', 'model'), manage, async (c) => {
      const { id, version, name } = c.req.param();
      if (!modelIdSchema.safeParse(id).success || !modelVersionSchema.safeParse(version).success)
        throw new HTTPException(404, { message: 'no such model version' });
      const model = await findModel(db, id, version);
      if (!model) throw new HTTPException(404, { message: 'no such model version' });
      const file = model.manifest.files.find((f) => f.name === name);
      if (!file) throw new HTTPException(404, { message: `the manifest has no file ${name}` });
      auditObject(c, `${id}@${version}`, { file: name });
      try {
        const stored = await storeModelFile(
          store,
          modelFileKey(id, version, name),
          file,
          bodyStream(c),
          MAX_FILE_BYTES,
        );
        const updated = await markFileStored(db, id, version, name);
        auditObject(c, `${id}@${version}`, { bytes: stored.bytes, sha256: stored.sha256 });
        return c.json({ name, ...stored, ready: updated?.ready ?? false });
      } catch (err) {
        if (err instanceof ModelFileRefused) throw new HTTPException(err.status, { message: err.message });
        throw err;
      }
    });
}
