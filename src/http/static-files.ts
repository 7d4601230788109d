// The application `authso http` puts behind the authenticator: a directory of files, served
// read-only. Requests reach it only after the access check (MS-AUTHSO 5.4.5 step 11), so it
// decides nothing about who may read; it only makes sure nothing outside the root is read
// (dot segments are already gone from resourcePath's path; symbolic links are resolved and
// checked here) and answers the way IIS's static file handler does: GET and HEAD only, a
// directory serves its index.html, no directory listings.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { HttpAuthError } from './authorization.js';
import { resourcePath } from './authenticator.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
};

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${status} ${text}\n`);
}

/** Serves the files under `root` (resolved once, at start). */
export async function createStaticHandler(root: string): Promise<StaticHandler> {
  const base = await realpath(root);
  if (!(await stat(base)).isDirectory()) throw new Error(`${root} is not a directory`);
  const inside = (p: string) => p === base || p.startsWith(base.endsWith(sep) ? base : base + sep);

  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    let path: string;
    try {
      path = resourcePath(req.url, true);
    } catch (e) {
      if (e instanceof HttpAuthError) return answer(res, 400, 'Bad Request');
      throw e;
    }
    let file: string;
    try {
      file = await realpath(join(base, ...path.split('/').filter((s) => s !== '')));
      if (!inside(file)) return answer(res, 404, 'Not Found');
      let st = await stat(file);
      if (st.isDirectory()) {
        file = await realpath(join(file, 'index.html'));
        if (!inside(file)) return answer(res, 404, 'Not Found');
        st = await stat(file);
      }
      if (!st.isFile()) return answer(res, 404, 'Not Found');
      res.statusCode = 200;
      res.setHeader('Content-Type', CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(st.size));
      res.setHeader('Last-Modified', st.mtime.toUTCString());
      res.setHeader('X-Content-Type-Options', 'nosniff');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') return answer(res, 404, 'Not Found');
      if (code === 'EACCES' || code === 'EPERM') return answer(res, 403, 'Forbidden');
      throw e;
    }
    await new Promise<void>((resolve) => {
      const s = createReadStream(file);
      s.on('error', () => {
        // Headers are out: all that is left is to cut the response short.
        res.destroy();
        resolve();
      });
      s.on('end', resolve);
      s.pipe(res);
    });
  };
}
