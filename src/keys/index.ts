export type { BoundFormatter, Formatter, FormatterOptions } from "./formatters";
export { applyFormatters, bindFormatter, registerFormatter, registerTypeFormatter } from "./formatters";
export type { KeyContext } from "./key-context";
export { registerKeyContext } from "./key-context";
export type { ParameterInfo } from "./params";
export { parameterInfo, parameterNames, parseParameters } from "./params";
export { renderArgs, renderText, stableRender } from "./render";
export type { CompileKeyOptions, KeyFn } from "./template";
export { compileKey, defaultKey, templateToGlob } from "./template";
