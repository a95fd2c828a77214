export function namesImportedFrom(source: string, from: string): string[] | null;
export function reexports(urls: Record<string, { url: string; export?: string }>, names: string[]): string;
export function lazyExports(fileUrl: string, kinds: Record<string, 'class' | 'function'>, names: string[]): string;
export function slimKubernetesClient(): void;
