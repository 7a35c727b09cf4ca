/**
 * Model configs (spec 9.6): frozen, validated, typed objects keyed by the checkpoint's own
 * `config.json` names, one interface per component, and {@link parseConfig} for a whole file.
 *
 * @module
 */
export { ACTIVATIONS, type Activation, CONFIG_LIMITS } from './configs/fields.js';
export {
  type RopeScaling, type TextConfigBase, type MoeKeys, type Qwen3TextConfig, type Qwen3MoeTextConfig,
  type InternS1ProTextConfig, type TextConfig, parseTextConfig, fopeEnabled, isMoeLayer,
} from './configs/text.js';
export { type InternVitConfig, type ProVisionConfig, parseInternVitConfig, parseProVisionConfig } from './configs/vision.js';
export { type TimeSeriesConfig, TS_EMBED_DIM, parseTimeSeriesConfig } from './configs/time-series.js';
export {
  type QuantizationConfig, type InternS1Config, type InternS1ProConfig, type ModelConfig, type Variant,
  parseConfig, parseQuantizationConfig, configVariant, textConfigOf, expectVariant,
} from './configs/model.js';
