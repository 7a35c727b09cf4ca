import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { HF_GENERATION_DEFAULTS, parseGenerationConfig, processorOptionsFromConfig } from '../../src/generation/config.js';

const proDir = process.env.INTERN_S1_PRO_FILES ?? '/work/shared/data/intern-s1-pro';

describe('generation_config.json', () => {
  it.runIf(existsSync(path.join(proDir, 'generation_config.json')))('reads the Intern-S1-Pro file', () => {
    const g = parseGenerationConfig(readFileSync(path.join(proDir, 'generation_config.json'), 'utf8'));
    expect(g).toMatchObject({ do_sample: true, temperature: 0.8, top_k: 50, top_p: 0.95, repetition_penalty: 1, eos_token_id: [151645, 151643], bos_token_id: 151643, pad_token_id: 151643, min_p: null });
    expect(processorOptionsFromConfig(g, 155_000)).toEqual({ temperature: 0.8, topK: 50, topP: 0.95, minP: 0, repetitionPenalty: 1 });
  });

  it('fills transformers GenerationConfig defaults and accepts a single eos id', () => {
    const g = parseGenerationConfig({ eos_token_id: 7 });
    expect(g).toEqual({ ...HF_GENERATION_DEFAULTS, eos_token_id: [7] });
    expect(Object.isFrozen(g)).toBe(true);
    // Not sampling: greedy, warpers off, the repetition penalty still applies (it is a processor).
    expect(processorOptionsFromConfig(parseGenerationConfig({ repetition_penalty: 1.1, top_k: 5 }), 100)).toEqual({ temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1.1 });
    // Sampling with no top_k: HF's default 50, capped at the vocabulary.
    expect(processorOptionsFromConfig(parseGenerationConfig({ do_sample: true }), 30).topK).toBe(30);
    expect(processorOptionsFromConfig(parseGenerationConfig({ do_sample: true, min_p: 0.05 }), 300)).toEqual({ temperature: 1, topK: 50, topP: 1, minP: 0.05, repetitionPenalty: 1 });
  });

  it('names the bad field', () => {
    expect(() => parseGenerationConfig('{')).toThrow(ConfigError);
    expect(() => parseGenerationConfig('[]')).toThrow(/object/);
    expect(() => parseGenerationConfig({ do_sample: 'yes' })).toThrow(/do_sample/);
    expect(() => parseGenerationConfig({ temperature: 0 })).toThrow(/temperature/);
    expect(() => parseGenerationConfig({ top_p: 1.5 })).toThrow(/top_p/);
    expect(() => parseGenerationConfig({ top_k: 2.5 })).toThrow(/top_k/);
    expect(() => parseGenerationConfig({ eos_token_id: [1, 'x'] })).toThrow(/eos_token_id/);
    expect(() => parseGenerationConfig({ eos_token_id: '1' })).toThrow(/eos_token_id/);
    expect(() => parseGenerationConfig({ max_new_tokens: 0 }, 'x/gen.json')).toThrow(/x\/gen\.json: 'max_new_tokens'/);
  });
});
