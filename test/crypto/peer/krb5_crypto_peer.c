/*
 * A tiny driver around MIT krb5's RFC 3961 crypto API, so test/crypto/libkrb5-crypto.test.ts can
 * check our enctypes and checksums against a live implementation instead of copied tables.
 * Compiled by the test at run time: cc krb5_crypto_peer.c -lkrb5 -lk5crypto.
 *
 * One request per stdin line, one answer per stdout line; binary values in hex, "-" for empty:
 *   E enctype usage key data            -> ciphertext         (krb5_c_encrypt)
 *   D enctype usage key ciphertext      -> plaintext | ERR n  (krb5_c_decrypt)
 *   C cksumtype enctype usage key data  -> checksum           (krb5_c_make_checksum)
 *   V cksumtype enctype usage key data checksum -> OK | BAD   (krb5_c_verify_checksum)
 *   K enctype password salt             -> key                (krb5_c_string_to_key)
 */
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *unhex(const char *s, unsigned int *len)
{
    size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s);
    unsigned char *out = malloc(n / 2 + 1);
    unsigned int i;
    if (out == NULL || n % 2 != 0)
        exit(2);
    for (i = 0; i < n / 2; i++) {
        unsigned int b;
        if (sscanf(s + 2 * i, "%2x", &b) != 1)
            exit(2);
        out[i] = (unsigned char)b;
    }
    *len = (unsigned int)(n / 2);
    return out;
}

static void puthex(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;
    if (n == 0)
        fputs("-", stdout);
    for (i = 0; i < n; i++)
        printf("%02x", b[i]);
    putchar('\n');
}

static void keyblock(krb5_keyblock *kb, const char *enctype, const char *hex)
{
    unsigned int len;
    kb->magic = KV5M_KEYBLOCK;
    kb->enctype = atoi(enctype);
    kb->contents = unhex(hex, &len);
    kb->length = len;
}

int main(void)
{
    krb5_context ctx;
    char *line = NULL;
    size_t cap = 0;

    if (krb5_init_context(&ctx) != 0)
        return 1;
    while (getline(&line, &cap, stdin) > 0) {
        char *f[8];
        int n = 0;
        char *tok = strtok(line, " \t\r\n");
        while (tok != NULL && n < 8) {
            f[n++] = tok;
            tok = strtok(NULL, " \t\r\n");
        }
        if (n == 0)
            continue;
        if (f[0][0] == 'E' && n == 5) {
            krb5_keyblock kb;
            krb5_data in;
            krb5_enc_data out;
            size_t outlen;
            unsigned int len;
            krb5_error_code r;
            keyblock(&kb, f[1], f[3]);
            in.data = (char *)unhex(f[4], &len);
            in.length = len;
            r = krb5_c_encrypt_length(ctx, kb.enctype, in.length, &outlen);
            memset(&out, 0, sizeof(out));
            out.ciphertext.data = malloc(outlen ? outlen : 1);
            out.ciphertext.length = (unsigned int)outlen;
            if (r == 0)
                r = krb5_c_encrypt(ctx, &kb, atoi(f[2]), NULL, &in, &out);
            if (r != 0)
                printf("ERR %d\n", (int)r);
            else
                puthex(out.ciphertext.data, out.ciphertext.length);
            free(out.ciphertext.data);
            free(in.data);
            free(kb.contents);
        } else if (f[0][0] == 'D' && n == 5) {
            krb5_keyblock kb;
            krb5_enc_data in;
            krb5_data out;
            unsigned int len;
            krb5_error_code r;
            keyblock(&kb, f[1], f[3]);
            memset(&in, 0, sizeof(in));
            in.enctype = kb.enctype;
            in.ciphertext.data = (char *)unhex(f[4], &len);
            in.ciphertext.length = len;
            out.data = malloc(len + 1);
            out.length = len;
            r = krb5_c_decrypt(ctx, &kb, atoi(f[2]), NULL, &in, &out);
            if (r != 0)
                printf("ERR %d\n", (int)r);
            else
                puthex(out.data, out.length);
            free(out.data);
            free(in.ciphertext.data);
            free(kb.contents);
        } else if ((f[0][0] == 'C' && n == 6) || (f[0][0] == 'V' && n == 7)) {
            krb5_keyblock kb;
            krb5_data in;
            krb5_checksum ck;
            unsigned int len;
            krb5_error_code r;
            keyblock(&kb, f[2], f[4]);
            in.data = (char *)unhex(f[5], &len);
            in.length = len;
            if (f[0][0] == 'C') {
                r = krb5_c_make_checksum(ctx, atoi(f[1]), &kb, atoi(f[3]), &in, &ck);
                if (r != 0) {
                    printf("ERR %d\n", (int)r);
                } else {
                    puthex(ck.contents, ck.length);
                    krb5_free_checksum_contents(ctx, &ck);
                }
            } else {
                krb5_boolean valid = 0;
                memset(&ck, 0, sizeof(ck));
                ck.checksum_type = atoi(f[1]);
                ck.contents = unhex(f[6], &len);
                ck.length = len;
                r = krb5_c_verify_checksum(ctx, &kb, atoi(f[3]), &in, &ck, &valid);
                if (r != 0)
                    printf("ERR %d\n", (int)r);
                else
                    puts(valid ? "OK" : "BAD");
                free(ck.contents);
            }
            free(in.data);
            free(kb.contents);
        } else if (f[0][0] == 'K' && n == 4) {
            krb5_data pw, salt;
            krb5_keyblock kb;
            unsigned int len;
            krb5_error_code r;
            pw.data = (char *)unhex(f[2], &len);
            pw.length = len;
            salt.data = (char *)unhex(f[3], &len);
            salt.length = len;
            r = krb5_c_string_to_key(ctx, atoi(f[1]), &pw, &salt, &kb);
            if (r != 0) {
                printf("ERR %d\n", (int)r);
            } else {
                puthex(kb.contents, kb.length);
                krb5_free_keyblock_contents(ctx, &kb);
            }
            free(pw.data);
            free(salt.data);
        } else {
            puts("ERR usage");
        }
        fflush(stdout);
    }
    free(line);
    krb5_free_context(ctx);
    return 0;
}
