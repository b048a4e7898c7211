import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkedName, notFound } from './http.js';

/** The run's default storages, which exist from the run's start, as on the platform. */
export const DEFAULT_ID = 'default';

/** An id like the platform's (17 letters and digits), for a storage created without a name. */
export function newStorageId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(17)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * The storages of one kind (`key_value_stores`, `datasets`, `request_queues`) in the storage
 * folder, in Crawlee's local layout: one folder each, named by the storage's name (a named
 * storage's id is its name here) or id. `default` always exists; another exists once its folder
 * does (created by `POST /v2/<kind>?name=…`, or left by an earlier run or a local Crawlee run).
 */
export class Storages<T> {
  private readonly open = new Map<string, Promise<T>>();
  private readonly ready = new Map<string, T>();

  constructor(
    readonly label: string,
    private readonly root: string,
    private readonly load: (id: string, folder: string) => Promise<T>,
  ) {}

  folderOf(id: string): string {
    return path.join(this.root, checkedName(`${this.label} id`, id));
  }

  /** The storage `id`; `record-not-found` unless it exists. */
  async get(id: string): Promise<T> {
    const opened = this.open.get(id);
    if (opened) return opened;
    const folder = this.folderOf(id);
    if (
      id !== DEFAULT_ID &&
      !(await fs.stat(folder).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      throw notFound(`${this.label} ${id} was not found`);
    return this.opening(id, folder);
  }

  /** The storage named `name` (created if missing), or a new unnamed one. */
  async getOrCreate(name: string | null): Promise<T> {
    const id = name ?? newStorageId();
    const folder = this.folderOf(id);
    await fs.mkdir(folder, { recursive: true });
    return this.open.get(id) ?? this.opening(id, folder);
  }

  private opening(id: string, folder: string): Promise<T> {
    const loading = this.load(id, folder);
    this.open.set(id, loading);
    loading.then(
      (storage) => this.open.get(id) === loading && this.ready.set(id, storage),
      () => this.open.delete(id),
    );
    return loading;
  }

  /** Forgets the storage and removes its folder. */
  async drop(id: string): Promise<void> {
    const folder = this.folderOf(id);
    this.open.delete(id);
    this.ready.delete(id);
    await fs.rm(folder, { recursive: true, force: true });
  }

  /** The storages loaded so far. */
  loaded(): T[] {
    return [...this.ready.values()];
  }
}
