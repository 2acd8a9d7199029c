// AES-KDF (KDBX 3.1/4) with AES-NI: both 16-byte halves in one loop, on libuv's thread pool.
//
// AES-KDF encrypts each half of the 32-byte composite key `rounds` times with AES-256 under the
// seed. Every round depends on the one before, so a half is bound by the AES instruction's
// latency; two independent halves in the same loop fill the pipeline and cost about as much as
// one. This is how KeePassXC computes it on one thread. OpenSSL, as Node exposes it, runs one
// chain per call, which needs a second thread for the second half. No maintained package does
// this, hence these few lines; server/vault/aes-kdf-rounds.ts checks them against OpenSSL before
// use, and the tests against kdbxweb and FIPS-197.
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wmmintrin.h>

// FIPS-197 AES-256 key expansion with AESKEYGENASSIST (Intel's AES-NI white paper, fig. 26).
// Each new round key is the one two steps back, xored with its own 4-, 8- and 12-byte shifts and
// with a word from AESKEYGENASSIST.
static __m128i fold(__m128i previous, __m128i word) {
  __m128i t = _mm_slli_si128(previous, 4);
  previous = _mm_xor_si128(previous, t);
  t = _mm_slli_si128(t, 4);
  previous = _mm_xor_si128(previous, t);
  t = _mm_slli_si128(t, 4);
  previous = _mm_xor_si128(previous, t);
  return _mm_xor_si128(previous, word);
}

// Even steps: RotWord, SubWord and the round constant (the assist's top word).
static __m128i expand_even(__m128i previous, __m128i assist) {
  return fold(previous, _mm_shuffle_epi32(assist, 0xff));
}

// Odd steps: SubWord only (the assist's third word, with a zero round constant).
static __m128i expand_odd(__m128i even, __m128i previous) {
  return fold(previous, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(even, 0x00), 0xaa));
}

static void expand_key(const uint8_t seed[32], __m128i k[15]) {
  k[0] = _mm_loadu_si128((const __m128i *)seed);
  k[1] = _mm_loadu_si128((const __m128i *)(seed + 16));
  // The round constant must be an immediate, so the seven steps are spelt out.
  k[2] = expand_even(k[0], _mm_aeskeygenassist_si128(k[1], 0x01));
  k[3] = expand_odd(k[2], k[1]);
  k[4] = expand_even(k[2], _mm_aeskeygenassist_si128(k[3], 0x02));
  k[5] = expand_odd(k[4], k[3]);
  k[6] = expand_even(k[4], _mm_aeskeygenassist_si128(k[5], 0x04));
  k[7] = expand_odd(k[6], k[5]);
  k[8] = expand_even(k[6], _mm_aeskeygenassist_si128(k[7], 0x08));
  k[9] = expand_odd(k[8], k[7]);
  k[10] = expand_even(k[8], _mm_aeskeygenassist_si128(k[9], 0x10));
  k[11] = expand_odd(k[10], k[9]);
  k[12] = expand_even(k[10], _mm_aeskeygenassist_si128(k[11], 0x20));
  k[13] = expand_odd(k[12], k[11]);
  k[14] = expand_even(k[12], _mm_aeskeygenassist_si128(k[13], 0x40));
}

static void aes_kdf(uint8_t key[32], const uint8_t seed[32], uint64_t rounds) {
  __m128i k[15];
  expand_key(seed, k);
  // Each round's first step, xor with k[0], is folded into the round before's last key (AESENCLAST
  // ends with an xor): one step less on the chain, and 16 registers hold the loop (3% faster here).
  const __m128i last = _mm_xor_si128(k[14], k[0]);
  __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)key), k[0]);
  __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(key + 16)), k[0]);
  for (uint64_t r = 0; r < rounds; r++) {
    for (int i = 1; i < 14; i++) {
      a = _mm_aesenc_si128(a, k[i]);
      b = _mm_aesenc_si128(b, k[i]);
    }
    a = _mm_aesenclast_si128(a, last);
    b = _mm_aesenclast_si128(b, last);
  }
  a = _mm_xor_si128(a, k[0]);
  b = _mm_xor_si128(b, k[0]);
  _mm_storeu_si128((__m128i *)key, a);
  _mm_storeu_si128((__m128i *)(key + 16), b);
  // The round keys are the seed's, which the file stores in clear; the halves are secret.
  a = _mm_setzero_si128();
  b = _mm_setzero_si128();
  memset(k, 0, sizeof k);
  __asm__ __volatile__("" : : "r"(k) : "memory");
}

typedef struct {
  uint8_t key[32];
  uint8_t seed[32];
  uint64_t rounds;
  napi_async_work work;
  napi_deferred deferred;
} Job;

static void wipe(Job *job) {
  memset(job->key, 0, sizeof job->key);
  __asm__ __volatile__("" : : "r"(job->key) : "memory");
}

static void execute(napi_env env, void *data) {
  (void)env;
  Job *job = data;
  aes_kdf(job->key, job->seed, job->rounds);
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value result;
  void *bytes = NULL;
  if (status == napi_ok && napi_create_buffer_copy(env, 32, job->key, &bytes, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "AES-KDF was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  wipe(job);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/** aesKdf(key: 32 bytes, seed: 32 bytes, rounds: a safe integer) -> Promise<Buffer> (32 bytes). */
static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return fail(env, "aesKdf(key, seed, rounds)");
  void *key, *seed;
  size_t key_length, seed_length;
  bool is_key, is_seed;
  napi_is_typedarray(env, argv[0], &is_key);
  napi_is_typedarray(env, argv[1], &is_seed);
  if (!is_key || !is_seed) return fail(env, "key and seed must be Uint8Arrays");
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, argv[0], &type, &key_length, &key, &buffer, &offset);
  if (type != napi_uint8_array || key_length != 32) return fail(env, "key must be 32 bytes");
  napi_get_typedarray_info(env, argv[1], &type, &seed_length, &seed, &buffer, &offset);
  if (type != napi_uint8_array || seed_length != 32) return fail(env, "seed must be 32 bytes");
  double rounds;
  if (napi_get_value_double(env, argv[2], &rounds) != napi_ok || !(rounds >= 0) || rounds > 9007199254740991.0 || rounds != (double)(uint64_t)rounds) {
    return fail(env, "rounds must be a non-negative safe integer");
  }
  Job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "out of memory");
  memcpy(job->key, key, 32);
  memcpy(job->seed, seed, 32);
  job->rounds = (uint64_t)rounds;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "kdbx-gateway:aes-kdf", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "aesKdf", NAPI_AUTO_LENGTH, run, NULL, &fn);
  napi_set_named_property(env, exports, "aesKdf", fn);
  return exports;
}
