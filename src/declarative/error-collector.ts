/**
 * Builds the error tree of a declarative load. Errors are attached to an entity by its location (collection
 * and position, within its parent's location when nested) or, for cross-entity errors Kong reports by
 * name, under a key of the collection. The finished tree mirrors the input: collections are arrays with
 * null at valid positions; a collection holding keyed errors becomes an object.
 */
import type { ErrorNode, ErrorTree } from '../schema/index.ts';

/** Where an entity sits in the document: `services[2].routes[0]` is {collection: 'routes', index: 0, parent: ...}. */
export interface EntityLocation {
  readonly parent: EntityLocation | null;
  readonly collection: string;
  readonly index: number;
}

class ItemErrors {
  /** A single message replacing the entity's entry (`expected a record`, uniqueness violations). */
  message: string | null = null;
  readonly fields: Record<string, ErrorNode> = {};
  readonly children = new Map<string, CollectionErrors>();
}

class CollectionErrors {
  /** A message replacing the whole collection (`expected an array`). */
  message: string | null = null;
  readonly positional = new Map<number, ItemErrors>();
  readonly keyed = new Map<string, ErrorNode>();
}

export class ErrorCollector {
  readonly #fields: Record<string, ErrorNode> = {};
  readonly #collections = new Map<string, CollectionErrors>();
  #count = 0;

  get hasErrors(): boolean {
    return this.#count > 0;
  }

  #collection(owner: ItemErrors | null, name: string): CollectionErrors {
    const map = owner ? owner.children : this.#collections;
    let collection = map.get(name);
    if (!collection) {
      collection = new CollectionErrors();
      map.set(name, collection);
    }
    return collection;
  }

  #item(location: EntityLocation): ItemErrors {
    const owner = location.parent ? this.#item(location.parent) : null;
    const collection = this.#collection(owner, location.collection);
    let item = collection.positional.get(location.index);
    if (!item) {
      item = new ItemErrors();
      collection.positional.set(location.index, item);
    }
    return item;
  }

  /** A top-level field error (`_format_version`, an unknown top-level key). */
  addTopLevel(field: string, error: ErrorNode): void {
    this.#fields[field] = error;
    this.#count++;
  }

  /** An error replacing a whole collection (e.g. not an array), at the top level or inside an entity. */
  addCollection(owner: EntityLocation | null, collection: string, message: string): void {
    this.#collection(owner ? this.#item(owner) : null, collection).message = message;
    this.#count++;
  }

  /** Field errors of one entity (merged with any already recorded). */
  addFields(location: EntityLocation, errors: ErrorTree): void {
    Object.assign(this.#item(location).fields, errors);
    this.#count++;
  }

  /** A message standing for the whole entity entry. */
  addEntityMessage(location: EntityLocation, message: string): void {
    this.#item(location).message = message;
    this.#count++;
  }

  /** An error filed under a name or id in a top-level collection; `asList` collects several messages. */
  addKeyed(collection: string, key: string, message: string, asList: boolean): void {
    const keyed = this.#collection(null, collection).keyed;
    if (asList) {
      const list = keyed.get(key);
      if (Array.isArray(list)) (list as string[]).push(message);
      else keyed.set(key, [message]);
    } else {
      keyed.set(key, message);
    }
    this.#count++;
  }

  /** The finished error tree. */
  toTree(): Record<string, unknown> {
    const tree: Record<string, unknown> = { ...this.#fields };
    for (const [name, collection] of this.#collections) tree[name] = collectionNode(collection);
    return tree;
  }
}

function itemNode(item: ItemErrors): ErrorNode {
  if (item.message !== null && item.children.size === 0 && Object.keys(item.fields).length === 0) return item.message;
  const node: Record<string, ErrorNode> = { ...item.fields };
  for (const [name, collection] of item.children) node[name] = collectionNode(collection);
  return node;
}

function collectionNode(collection: CollectionErrors): ErrorNode {
  if (collection.message !== null) return collection.message;
  if (collection.keyed.size === 0) {
    let max = -1;
    for (const index of collection.positional.keys()) if (index > max) max = index;
    const list: (ErrorNode | null)[] = new Array<ErrorNode | null>(max + 1).fill(null);
    for (const [index, item] of collection.positional) list[index] = itemNode(item);
    return list;
  }
  // Lua tables mixing positions and names serialise as objects with 1-based position keys.
  const node: Record<string, ErrorNode> = {};
  for (const [index, item] of [...collection.positional].sort((a, b) => a[0] - b[0])) node[String(index + 1)] = itemNode(item);
  for (const [key, value] of collection.keyed) node[key] = value;
  return node;
}
