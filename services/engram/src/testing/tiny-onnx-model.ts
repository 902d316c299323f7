import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProtobufWriter } from '../embeddings/protobuf-writer';
import { seededRandom } from './seeded-random';

/**
 * Builds a tiny but real BERT-shaped ONNX model folder for tests, since no ONNX sentence model can
 * be downloaded here: a WordPiece tokenizer.json over a small English vocabulary and a graph
 * `last_hidden_state = Gather(E, input_ids) * attention_mask` with inputs input_ids and
 * attention_mask, as transformers.js expects of a `bert` feature-extraction model. Each word has a
 * fixed pseudo-random vector, so after mean pooling texts that share words are close.
 */
export interface TinyOnnxModelOptions {
  /** Folder name under `parentDir`; becomes the model id. Default `tiny-bert`. */
  name?: string;
  /** Hidden size. Default 32. */
  dimension?: number;
  /** `onnx/model.onnx` as exported by Optimum (default), or `model.onnx` at the folder root. */
  layout?: 'onnx-subfolder' | 'root';
}

export interface TinyOnnxModel {
  dir: string;
  dimension: number;
  vocabulary: readonly string[];
}

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = (
  'the a an and of to in on at is was are be it this that with for from by as i you he she we they ' +
  'cat dog bird fish sat ran jumped slept mat sofa garden house kitchen morning evening ' +
  'python typescript code compiler database query index server deploy bug test ' +
  'coffee tea breakfast dinner pizza pasta likes prefers hates meeting project deadline tomorrow yesterday ' +
  'red blue green big small quick lazy ##s ##ing ##ed'
).split(' ');

export async function buildTinyOnnxModel(
  parentDir: string,
  options: TinyOnnxModelOptions = {},
): Promise<TinyOnnxModel> {
  const dimension = options.dimension ?? 32;
  const dir = join(parentDir, options.name ?? 'tiny-bert');
  const vocabulary = [...SPECIAL_TOKENS, ...WORDS];
  const modelDir = options.layout === 'root' ? dir : join(dir, 'onnx');
  await mkdir(modelDir, { recursive: true });
  await writeFile(
    join(modelDir, 'model.onnx'),
    encodeModel(embeddingTable(vocabulary, dimension), vocabulary.length, dimension),
  );
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocabulary)));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig()));
  await writeFile(join(dir, 'config.json'), JSON.stringify(modelConfig(vocabulary.length, dimension)));
  return { dir, dimension, vocabulary };
}

/** Seeded table, one row per token; special tokens are zero so they add nothing to a mean. */
function embeddingTable(vocabulary: readonly string[], dimension: number): Float32Array {
  const table = new Float32Array(vocabulary.length * dimension);
  const random = seededRandom(0x9e3779b9);
  vocabulary.forEach((token, row) => {
    if (SPECIAL_TOKENS.includes(token) && token !== '[UNK]') return;
    for (let column = 0; column < dimension; column++) table[row * dimension + column] = random() * 2 - 1;
  });
  return table;
}

// ONNX enums (onnx.proto3): TensorProto.DataType and AttributeProto.AttributeType.
const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;

function encodeModel(table: Float32Array, vocabularySize: number, dimension: number): Buffer {
  const model = new ProtobufWriter()
    .varint(1, 8) // ir_version
    .string(2, 'engram-tiny-onnx-model') // producer_name
    .message(7, (graph) => {
      graph
        .message(1, (node) => node.string(1, 'E').string(1, 'input_ids').string(2, 'gathered').string(4, 'Gather'))
        .message(1, (node) =>
          node
            .string(1, 'attention_mask')
            .string(2, 'mask_float')
            .string(4, 'Cast')
            .message(5, (attribute) => attribute.string(1, 'to').varint(3, FLOAT).varint(20, ATTRIBUTE_INT)),
        )
        .message(1, (node) =>
          node.string(1, 'mask_float').string(1, 'last_axis').string(2, 'mask_3d').string(4, 'Unsqueeze'),
        )
        .message(1, (node) =>
          node.string(1, 'gathered').string(1, 'mask_3d').string(2, 'last_hidden_state').string(4, 'Mul'),
        )
        .string(2, 'tiny_bert')
        .message(5, (tensor) =>
          tensor
            .varint(1, vocabularySize)
            .varint(1, dimension)
            .varint(2, FLOAT)
            .string(8, 'E')
            .bytes(9, new Uint8Array(table.buffer, table.byteOffset, table.byteLength)),
        )
        .message(5, (tensor) =>
          tensor
            .varint(1, 1)
            .varint(2, INT64)
            .string(8, 'last_axis')
            .bytes(9, new Uint8Array(BigInt64Array.of(2n).buffer)),
        )
        .message(11, valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']))
        .message(11, valueInfo('attention_mask', INT64, ['batch_size', 'sequence_length']))
        .message(12, valueInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', dimension]));
    })
    .message(8, (opset) => opset.string(1, '').varint(2, 13));
  return model.finish();
}

/** ValueInfoProto with a tensor type; string dims are symbolic, numbers fixed. */
function valueInfo(name: string, elementType: number, dims: (string | number)[]) {
  return (info: ProtobufWriter) =>
    info.string(1, name).message(2, (type) =>
      type.message(1, (tensorType) =>
        tensorType.varint(1, elementType).message(2, (shape) => {
          for (const dim of dims)
            shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
        }),
      ),
    );
}

function tokenizerJson(vocabulary: readonly string[]) {
  const idOf = (token: string) => vocabulary.indexOf(token);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: idOf(content),
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
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, id) => [token, id])),
    },
  };
}

function tokenizerConfig() {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 512,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
}

function modelConfig(vocabularySize: number, dimension: number) {
  return {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: dimension,
    vocab_size: vocabularySize,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: dimension,
    max_position_embeddings: 512,
  };
}
