/**
 * Float32 storage for model inputs, reused from one run to the next. A new typed array of a full text
 * scan's size (1280x736x3 floats a frame, 45 MB for a batch of four) is fresh memory the kernel maps
 * page by page as the tensor is first written: filling one cost about 45 ms a 720p frame here, against
 * 6 ms for an array already written once. Arrays are kept by exact length (a model sees a few sizes),
 * lent for the length of one run (`take`, then `give` once the run has settled) and never shared: a
 * second run while one is out gets an array of its own, kept as well once given back.
 */
export class TensorStorage {
  private readonly free = new Map<number, Float32Array[]>();
  private kept = 0;

  /** @param maxKept the most floats kept between runs (default 64 M, 256 MB), beyond which given arrays are dropped. */
  constructor(private readonly maxKept = 64 * 1024 * 1024) {}

  /** An array of `length` floats, with whatever a previous run left in it: the caller writes every one. */
  take(length: number): Float32Array {
    const array = this.free.get(length)?.pop();
    if (!array) return new Float32Array(length);
    this.kept -= length;
    return array;
  }

  /** Gives back an array from `take` whose run has settled (its tensor is no longer read). */
  give(array: Float32Array): void {
    if (this.kept + array.length > this.maxKept) return;
    const list = this.free.get(array.length) ?? [];
    list.push(array);
    this.free.set(array.length, list);
    this.kept += array.length;
  }
}
