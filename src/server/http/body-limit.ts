/**
 * A request body with a hard size cap. The cap is checked against Content-Length before
 * anything is read, and again while the body streams in, so a body that lies about its
 * length, or sends none (chunked), is cut off at the cap all the same. Past the cap the
 * upload is cancelled rather than drained, so the server never holds more than the cap.
 */

/** The body as a stream that errors with `tooLarge()` past `maxBytes`; null when there is no body. */
export function limitBody(req: Request, maxBytes: number, tooLarge: () => Error): ReadableStream<Uint8Array> | null {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    return new ReadableStream<Uint8Array>({ start: (controller) => controller.error(tooLarge()) });
  }
  if (!req.body) return null;
  const reader = req.body.getReader();
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return controller.error(tooLarge());
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
