/* lang/expr_lex.c — splits expression source into tokens, on demand (no
 * token array). Owns literal syntax: numbers, strings and their escapes,
 * dotted names, keywords. Any byte sequence gives either tokens or a
 * TK_ERR with a message and the offset of the bad byte; nothing here
 * allocates except decoded strings, in the expression's arena. */
#include "lang/expr_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void expr_lex_init(expr_lexer *lx, const char *src, uint32_t n, arena *mem, char *err)
{
	lx->src = src;
	lx->n = n;
	lx->at = 0;
	lx->mem = mem;
	lx->err = err;
}

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static void lex_error(expr_lexer *lx, expr_token *tok, uint32_t pos, const char *fmt, const char *arg)
{
	tok->t = TK_ERR;
	tok->pos = pos;
	tok->len = 0;
	snprintf(lx->err, 256, fmt, arg);
}

/* Length of the UTF-8 sequence at p (max bytes left), 0 if invalid. */
static int utf8_len(const unsigned char *p, uint32_t max)
{
	unsigned c = p[0];
	int len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
	else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
	else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
	else return 0;
	if ((uint32_t)len > max)
		return 0;
	unsigned cp = c & (0x7F >> len);
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string in "..." or '...': escapes \" \' \\ \/ \n \t \r \uXXXX. The
 * decoded text is never longer than the source, so one allocation. */
static void lex_string(expr_lexer *lx, expr_token *tok)
{
	const unsigned char *s = (const unsigned char *)lx->src;
	uint32_t start = lx->at, i = start + 1;
	char q = (char)s[start];
	char *out = arena_alloc(lx->mem, lx->n - start + 1);
	size_t o = 0;
	if (!out) {
		lex_error(lx, tok, start, "%s", "out of memory");
		return;
	}
	for (;;) {
		if (i >= lx->n || s[i] == '\n' || s[i] == '\r') {
			lex_error(lx, tok, start, "%s", "unterminated string");
			return;
		}
		unsigned char c = s[i];
		if (c == (unsigned char)q) {
			i++;
			break;
		}
		if (c == '\\') {
			if (i + 1 >= lx->n) {
				lex_error(lx, tok, start, "%s", "unterminated string");
				return;
			}
			unsigned char e = s[i + 1];
			switch (e) {
			case '"': case '\'': case '\\': case '/': out[o++] = (char)e; i += 2; continue;
			case 'n': out[o++] = '\n'; i += 2; continue;
			case 't': out[o++] = '\t'; i += 2; continue;
			case 'r': out[o++] = '\r'; i += 2; continue;
			case 'u': {
				unsigned cp = 0;
				for (int k = 0; k < 4; k++) {
					int h = i + 2 + k < lx->n ? hexval(s[i + 2 + k]) : -1;
					if (h < 0) {
						lex_error(lx, tok, i, "%s", "bad \\u escape: need 4 hex digits");
						return;
					}
					cp = cp * 16 + (unsigned)h;
				}
				if (cp >= 0xD800 && cp <= 0xDFFF) {
					lex_error(lx, tok, i, "%s", "bad \\u escape: surrogate code point");
					return;
				}
				/* 6 source bytes give at most 3 output bytes */
				o += put_utf8(out + o, cp);
				i += 6;
				continue;
			}
			default: {
				char b[8];
				if (e >= 0x20 && e < 0x7F)
					snprintf(b, sizeof b, "\\%c", e);
				else
					snprintf(b, sizeof b, "\\x%02X", e);
				lex_error(lx, tok, i, "unknown escape '%s' in string", b);
				return;
			}
			}
		}
		if (c < 0x20 || c == 0x7F) {
			lex_error(lx, tok, i, "%s", "control character in string");
			return;
		}
		int len = utf8_len(s + i, lx->n - i);
		if (!len) {
			lex_error(lx, tok, i, "%s", "invalid UTF-8 in string");
			return;
		}
		memcpy(out + o, s + i, (size_t)len);
		o += (size_t)len;
		i += (uint32_t)len;
	}
	out[o] = '\0';
	tok->t = TK_STR;
	tok->s = out;
	tok->n = (uint32_t)o;
	tok->len = i - start;
	lx->at = i;
}

static void lex_number(expr_lexer *lx, expr_token *tok)
{
	const char *s = lx->src;
	uint32_t start = lx->at, i = start;
	bool is_float = false;
	while (i < lx->n && is_digit(s[i]))
		i++;
	if (i + 1 < lx->n && s[i] == '.' && is_digit(s[i + 1])) {
		is_float = true;
		i++;
		while (i < lx->n && is_digit(s[i]))
			i++;
	}
	if (i < lx->n && (s[i] == 'e' || s[i] == 'E')) {
		uint32_t j = i + 1;
		if (j < lx->n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < lx->n && is_digit(s[j])) {
			is_float = true;
			i = j;
			while (i < lx->n && is_digit(s[i]))
				i++;
		}
	}
	if (i < lx->n && (is_alpha(s[i]) || is_digit(s[i]))) {
		lex_error(lx, tok, start, "%s", "malformed number");
		return;
	}
	tok->pos = start;
	tok->len = i - start;
	lx->at = i;
	if (tok->len > 400) {
		lex_error(lx, tok, start, "%s", "number too long");
		return;
	}
	char buf[401];
	memcpy(buf, s + start, tok->len);
	buf[tok->len] = '\0';
	if (is_float) {
		/* the source has no locale-dependent characters: only digits, '.'
		 * and an exponent, and the daemon runs in the C locale */
		errno = 0;
		double f = strtod(buf, NULL);
		if (!isfinite(f) || (errno == ERANGE && f != 0)) {
			lex_error(lx, tok, start, "%s", "number out of range");
			return;
		}
		tok->t = TK_FLOAT;
		tok->f = f;
		return;
	}
	/* accumulate by hand: strtoll would accept a sign and leading spaces */
	uint64_t v = 0;
	for (uint32_t k = 0; k < tok->len; k++) {
		unsigned d = (unsigned)(buf[k] - '0');
		if (v > (UINT64_C(9223372036854775808) - d) / 10) {
			lex_error(lx, tok, start, "%s", "integer literal out of range");
			return;
		}
		v = v * 10 + d;
	}
	tok->t = TK_INT;
	tok->int_min = v == UINT64_C(9223372036854775808);
	tok->i = tok->int_min ? INT64_MIN : (int64_t)v;
}

static const struct { const char *w; expr_tok t; } keywords[] = {
	{ "and", TK_AND }, { "or", TK_OR }, { "not", TK_NOT }, { "in", TK_IN },
	{ "true", TK_TRUE }, { "false", TK_FALSE }, { "null", TK_NULL },
};

static void lex_name(expr_lexer *lx, expr_token *tok)
{
	const char *s = lx->src;
	uint32_t start = lx->at, i = start;
	bool dotted = false;
	for (;;) {
		while (i < lx->n && (is_alpha(s[i]) || is_digit(s[i])))
			i++;
		if (i + 1 < lx->n && s[i] == '.' && is_alpha(s[i + 1])) {
			dotted = true;
			i++;
			continue;
		}
		break;
	}
	tok->pos = start;
	tok->len = i - start;
	lx->at = i;
	if (tok->len > EXPR_MAX_NAME) {
		lex_error(lx, tok, start, "%s", "name too long");
		return;
	}
	tok->t = TK_NAME;
	tok->s = s + start;
	tok->n = tok->len;
	if (!dotted)
		for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
			if (strlen(keywords[k].w) == tok->n && memcmp(keywords[k].w, tok->s, tok->n) == 0)
				tok->t = keywords[k].t;
}

void expr_lex_next(expr_lexer *lx, expr_token *tok)
{
	const char *s = lx->src;
	memset(tok, 0, sizeof *tok);
	while (lx->at < lx->n && (s[lx->at] == ' ' || s[lx->at] == '\t' || s[lx->at] == '\n' || s[lx->at] == '\r'))
		lx->at++;
	tok->pos = lx->at;
	if (lx->at >= lx->n) {
		tok->t = TK_EOF;
		return;
	}
	unsigned char c = (unsigned char)s[lx->at];
	unsigned char d = lx->at + 1 < lx->n ? (unsigned char)s[lx->at + 1] : 0;
	if (is_digit(c)) {
		lex_number(lx, tok);
		return;
	}
	if (is_alpha(c)) {
		lex_name(lx, tok);
		return;
	}
	if (c == '"' || c == '\'') {
		lex_string(lx, tok);
		return;
	}
	expr_tok t;
	uint32_t len = 1;
	switch (c) {
	case '(': t = TK_LP; break;
	case ')': t = TK_RP; break;
	case '[': t = TK_LB; break;
	case ']': t = TK_RB; break;
	case ',': t = TK_COMMA; break;
	case '+': t = TK_PLUS; break;
	case '-': t = TK_MINUS; break;
	case '*': t = TK_STAR; break;
	case '%': t = TK_PERCENT; break;
	case '/': if (d == '/') { t = TK_DSLASH; len = 2; } else t = TK_SLASH; break;
	case '<': if (d == '=') { t = TK_LE; len = 2; } else t = TK_LT; break;
	case '>': if (d == '=') { t = TK_GE; len = 2; } else t = TK_GT; break;
	case '=':
		if (d == '=') { t = TK_EQ; len = 2; break; }
		lex_error(lx, tok, lx->at, "%s", "unexpected '=' (use '==' to compare)");
		return;
	case '!':
		if (d == '=') { t = TK_NE; len = 2; break; }
		lex_error(lx, tok, lx->at, "%s", "unexpected '!' (use 'not')");
		return;
	case '&':
		lex_error(lx, tok, lx->at, "%s", "unexpected '&' (use 'and')");
		return;
	case '|':
		lex_error(lx, tok, lx->at, "%s", "unexpected '|' (use 'or')");
		return;
	default: {
		char b[8];
		if (c > 0x20 && c < 0x7F)
			snprintf(b, sizeof b, "%c", c);
		else
			snprintf(b, sizeof b, "\\x%02X", c);
		lex_error(lx, tok, lx->at, "unexpected character '%s'", b);
		return;
	}
	}
	tok->t = t;
	tok->len = len;
	lx->at += len;
}

const char *expr_tok_text(expr_tok t)
{
	switch (t) {
	case TK_EOF: return "end of expression";
	case TK_INT: case TK_FLOAT: return "number";
	case TK_STR: return "string";
	case TK_NAME: return "name";
	case TK_AND: return "'and'";
	case TK_OR: return "'or'";
	case TK_NOT: return "'not'";
	case TK_IN: return "'in'";
	case TK_TRUE: return "'true'";
	case TK_FALSE: return "'false'";
	case TK_NULL: return "'null'";
	case TK_LP: return "'('";
	case TK_RP: return "')'";
	case TK_LB: return "'['";
	case TK_RB: return "']'";
	case TK_COMMA: return "','";
	case TK_EQ: return "'=='";
	case TK_NE: return "'!='";
	case TK_LT: return "'<'";
	case TK_LE: return "'<='";
	case TK_GT: return "'>'";
	case TK_GE: return "'>='";
	case TK_PLUS: return "'+'";
	case TK_MINUS: return "'-'";
	case TK_STAR: return "'*'";
	case TK_SLASH: return "'/'";
	case TK_DSLASH: return "'//'";
	case TK_PERCENT: return "'%'";
	case TK_ERR: return "error";
	}
	return "token";
}
