/**
 * A tiny BERT-shaped model directory for tests of the ONNX embedder: no model is downloaded and none ships
 * with the repository, so the test writes one. The graph is a lookup table (Gather on a word embedding plus
 * a token-type embedding), the tokenizer a WordPiece vocabulary over a few Chinese characters; together
 * they run through exactly the files and code paths a real model directory does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Characters the tokenizer knows; anything else becomes [UNK]. */
const CHARACTERS = [...'社保卡丢了怎么补办公积金提取医疗险户口迁移停水电话投诉噪音'];
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export interface TinyModelOptions {
  /** Hidden size, i.e. the embedder's vector length. */
  dimensions?: number;
}

/** Writes config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx into `dir`. */
export async function writeTinyBertModel(dir: string, options: TinyModelOptions = {}): Promise<void> {
  const dimensions = options.dimensions ?? 8;
  const vocab = [...SPECIAL_TOKENS, ...CHARACTERS];
  await mkdir(path.join(dir, 'onnx'), { recursive: true });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(bertConfig(vocab.length, dimensions), null, 2));
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(wordPieceTokenizer(vocab), null, 2));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(), null, 2));
  await writeFile(path.join(dir, 'onnx', 'model.onnx'), lookupModel(vocab.length, dimensions));
}

function bertConfig(vocabSize: number, hiddenSize: number) {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: hiddenSize,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: hiddenSize,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    pad_token_id: 0,
  };
}

function tokenizerConfig() {
  return {
    tokenizer_class: 'BertTokenizer',
    model_max_length: 64,
    do_lower_case: true,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  };
}

/** The tokenizer.json layout of a BERT tokenizer (Hugging Face tokenizers' serialisation). */
function wordPieceTokenizer(vocab: string[]) {
  const id = (token: string) => vocab.indexOf(token);
  const special = (token: string) => ({ id: token, ids: [id(token)], tokens: [token] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

// ONNX data types and protobuf wire types (onnx/onnx.proto).
const FLOAT = 1;
const INT64 = 7;
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/**
 * last_hidden_state = WordEmbedding[input_ids] + TypeEmbedding[token_type_ids], as an ONNX ModelProto.
 * attention_mask is a declared input (the pipeline feeds it) that the lookup does not need.
 */
function lookupModel(vocabSize: number, dimensions: number): Uint8Array {
  const tokenInputs = ['input_ids', 'attention_mask', 'token_type_ids'].map((name) =>
    valueInfo(name, INT64, ['batch', 'sequence']),
  );
  const graph = concat(
    node(['word_embeddings', 'input_ids'], ['words'], 'Gather'),
    node(['type_embeddings', 'token_type_ids'], ['types'], 'Gather'),
    node(['words', 'types'], ['last_hidden_state'], 'Add'),
    string(2, 'tiny-bert'),
    message(5, floatTensor('word_embeddings', vocabSize, dimensions, 1)),
    message(5, floatTensor('type_embeddings', 2, dimensions, 2)),
    ...tokenInputs.map((input) => message(11, input)),
    message(12, valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', dimensions])),
  );
  return concat(
    integer(1, 8), // ir_version
    string(2, 'minsheng-test'), // producer_name
    message(7, graph),
    message(8, integer(2, 13)), // opset_import: the default domain at opset 13
  );
}

function node(inputs: string[], outputs: string[], opType: string): Uint8Array {
  return message(1, concat(...inputs.map((i) => string(1, i)), ...outputs.map((o) => string(2, o)), string(4, opType)));
}

/** A [rows, columns] float initializer with reproducible values in [-1, 1). */
function floatTensor(name: string, rows: number, columns: number, seed: number): Uint8Array {
  const values = new Float32Array(rows * columns);
  let state = seed;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return concat(
    integer(1, rows),
    integer(1, columns),
    integer(2, FLOAT),
    string(8, name),
    bytes(9, new Uint8Array(values.buffer)),
  );
}

function valueInfo(name: string, elemType: number, shape: (string | number)[]): Uint8Array {
  const dims = shape.map((d) => message(1, typeof d === 'number' ? integer(1, d) : string(2, d)));
  const tensorType = concat(integer(1, elemType), message(2, concat(...dims)));
  return concat(string(1, name), message(2, message(1, tensorType)));
}

// A minimal protobuf writer: enough for the fields above (non-negative varints, strings, bytes, messages).

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function integer(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | VARINT), ...varint(value)]);
}

function bytes(field: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([...varint((field << 3) | LENGTH_DELIMITED), ...varint(data.length)]), data);
}

function string(field: number, value: string): Uint8Array {
  return bytes(field, new TextEncoder().encode(value));
}

const message = bytes;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
