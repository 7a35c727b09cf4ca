/**
 * The constants the released Intern-S1-Pro vision code fixes (not config keys), shared by the fast
 * path and the reference (plain numbers, no twin: DESIGN.md).
 *
 * @module
 */

/** Epsilon of every LayerNorm of the Pro tower (blocks and merger): fixed in the code, not a config key (spec 1.2). */
export const PRO_VISION_LN_EPS = 1e-6;

/** θ of the 2-D vision RoPE: fixed in the code (`VisionRotaryEmbedding(dim, theta = 10000)`, spec 6.2.2). */
export const PRO_VISION_ROPE_THETA = 10000;
