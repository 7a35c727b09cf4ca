/** The Qwen3 text decoder: attention, dense and MoE FFN, routing, losses, layers, text stack (spec 3-5). @module */
export {
  type PositionIds, type PositionTables, type PositionEncoding, type PositionEncodingOptions,
  Qwen3RotaryEmbedding, positionEncoding, resolvePositions,
} from './rotary.js';
export {
  type RouterGradient, type RoutingConfig, type MoeRouterKeys, type RouterOutput, type Routing, type ExpertLoad,
  routingConfig, selectExperts, routingWeights, routingWeightsGrad, routeTokens, expertLoad,
} from './routing.js';
export { type LayerLogits, hfLoadBalancingLoss, xtunerBalancingLoss, routerZLoss } from './losses.js';
export { type MlpConfig as Qwen3MlpConfig, type SwiGluWeights, Qwen3MLP } from './mlp.js';
export { type MoeConfig as Qwen3MoeConfig, type MoeForwardOptions, type MoeLoadOptions, type MoeOutput, Qwen3MoeSparseBlock } from './moe.js';
export { ExpertCache, expertCacheStats, type ExpertCacheStats, type ExpertDims, type ExpertsOnDemandOptions } from './expert-cache.js';
export {
  type AttentionConfig as Qwen3AttentionConfig, type AttentionForwardOptions as Qwen3AttentionOptions,
  type AttentionOutput as Qwen3AttentionOutput, type AttentionWeights as Qwen3AttentionWeights,
  KVCacheLayer, Qwen3KVCache, Qwen3Attention,
} from './attention.js';
export {
  type DecoderLayerOptions, type DecoderForwardOptions, type DecoderLayerOutput,
  Qwen3DecoderLayer, layerIndexOf, rotaryPrefixOf,
} from './decoder.js';
export { type TextModelOptions, type TextForwardOptions, type TextModelOutput, type TextStreaming, Qwen3TextModel } from './model.js';
export type { DecoderLayerOptionsOf } from './options.js';
