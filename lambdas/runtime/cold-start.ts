/**
 * Builds once. Inside Lambda it builds at once, so a bad environment fails the function's init
 * (loudly, before any event); elsewhere (tests importing a handler module) it waits for the
 * first call, so importing never needs the environment.
 */
export function atColdStart<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  const get = (): T => {
    built ??= { value: build() };
    return built.value;
  };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) get();
  return get;
}
