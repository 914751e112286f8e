export type { BoundFormatter, Formatter, FormatterOptions } from "./formatters";
export { applyFormatters, bindFormatter, registerFormatter, registerTypeFormatter } from "./formatters";
export type { ParameterInfo } from "./params";
export { parameterInfo, parameterNames, parseParameters } from "./params";
export { renderArgs, renderText, stableRender } from "./render";
export type { CompileKeyOptions, KeyContext, KeyFn } from "./template";
export { compileKey, defaultKey, registerKeyContext, templateToGlob } from "./template";
