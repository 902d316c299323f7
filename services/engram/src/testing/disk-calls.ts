import fs, { promises as fsPromises } from 'node:fs';
import { mock } from 'node:test';

/**
 * Records, in order, every fsync (with the path it was opened by), rename and unlink made through Node's
 * fs, asynchronous and synchronous: what a power cut would keep cannot be observed, the order of these
 * calls can. Undo with `mock.restoreAll()`.
 */
export function recordDiskCalls(): string[] {
  const calls: string[] = [];
  const open = fsPromises.open;
  mock.method(fsPromises, 'open', async (path: string, ...rest: [string?, number?]) => {
    const handle = await open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      calls.push(`fsync ${path}`);
      await sync();
    };
    return handle;
  });
  const rename = fsPromises.rename;
  mock.method(fsPromises, 'rename', async (from: string, to: string) => {
    calls.push(`rename ${from} -> ${to}`);
    await rename(from, to);
  });
  const unlink = fsPromises.unlink;
  mock.method(fsPromises, 'unlink', async (path: string) => {
    calls.push(`unlink ${path}`);
    await unlink(path);
  });
  const pathOf = new Map<number, string>();
  const openSync = fs.openSync;
  mock.method(fs, 'openSync', (path: string, flags: fs.OpenMode = 'r', mode?: fs.Mode) => {
    const fd = openSync(path, flags, mode);
    pathOf.set(fd, path);
    return fd;
  });
  const fsyncSync = fs.fsyncSync;
  mock.method(fs, 'fsyncSync', (fd: number) => {
    calls.push(`fsync ${pathOf.get(fd) ?? `fd ${fd}`}`);
    fsyncSync(fd);
  });
  const renameSync = fs.renameSync;
  mock.method(fs, 'renameSync', (from: string, to: string) => {
    calls.push(`rename ${from} -> ${to}`);
    renameSync(from, to);
  });
  return calls;
}
