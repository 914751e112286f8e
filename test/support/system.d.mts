export declare const isCI: boolean;
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export type SystemPackage = "chromium" | "redis-server";
export declare const SYSTEM_PACKAGES: Record<
  SystemPackage,
  { binary: string; install: string; needed: string }
>;
export declare function findBinary(name: string): string | undefined;
export declare function hasSystemPackage(pkg: SystemPackage): boolean;
export declare function missingPackageMessage(pkg: SystemPackage): string;
