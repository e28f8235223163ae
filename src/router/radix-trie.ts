/**
 * A compressed prefix tree over route prefix paths. Walking it with a request path visits every stored
 * key that is a prefix of the path, shortest first, in O(path length) with no allocation. Nodes are
 * public so hot loops can walk them inline instead of through a callback.
 */

export interface RadixNode<V> {
  /** Text on the edge from the parent to this node. */
  label: string;
  /** Children by the first character code of their label. */
  children: Map<number, RadixNode<V>> | null;
  /** The value stored for the key ending exactly here, or null. */
  value: V | null;
}

function commonPrefixLength(label: string, key: string, offset: number): number {
  const limit = Math.min(label.length, key.length - offset);
  let length = 0;
  while (length < limit && label.charCodeAt(length) === key.charCodeAt(offset + length)) length++;
  return length;
}

export class RadixTrie<V> {
  readonly root: RadixNode<V> = { label: '', children: null, value: null };
  size = 0;

  /** Stores `value` under `key`, replacing an earlier value for the same key. */
  set(key: string, value: V): void {
    let node = this.root;
    let offset = 0;
    for (;;) {
      if (offset === key.length) {
        if (node.value === null) this.size++;
        node.value = value;
        return;
      }
      const code = key.charCodeAt(offset);
      if (node.children === null) node.children = new Map();
      const child = node.children.get(code);
      if (child === undefined) {
        node.children.set(code, { label: key.slice(offset), children: null, value });
        this.size++;
        return;
      }
      const shared = commonPrefixLength(child.label, key, offset);
      if (shared < child.label.length) {
        // Split the edge: a new inner node takes the shared part.
        const inner: RadixNode<V> = { label: child.label.slice(0, shared), children: new Map(), value: null };
        child.label = child.label.slice(shared);
        inner.children!.set(child.label.charCodeAt(0), child);
        node.children.set(code, inner);
        node = inner;
      } else {
        node = child;
      }
      offset += shared;
    }
  }

  /** The value stored under `key`, or null. */
  get(key: string): V | null {
    let node = this.root;
    let offset = 0;
    while (offset < key.length) {
      const child = node.children?.get(key.charCodeAt(offset));
      if (child === undefined || !key.startsWith(child.label, offset)) return null;
      offset += child.label.length;
      node = child;
    }
    return offset === key.length ? node.value : null;
  }

  /** The value of the longest stored key that is a prefix of `text`, or null. */
  longestPrefixValue(text: string): V | null {
    let node = this.root;
    let offset = 0;
    let found: V | null = node.value;
    const length = text.length;
    while (offset < length) {
      const children = node.children;
      if (children === null) break;
      const child = children.get(text.charCodeAt(offset));
      if (child === undefined || !text.startsWith(child.label, offset)) break;
      offset += child.label.length;
      node = child;
      if (node.value !== null) found = node.value;
    }
    return found;
  }
}
