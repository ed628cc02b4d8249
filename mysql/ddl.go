package mysql

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/format"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// ddlRelevant reports whether a statement can change the tables or databases the
// history models: CREATE/ALTER/DROP of a TABLE, INDEX or DATABASE, RENAME TABLE and
// TRUNCATE. Views, triggers, routines, users, sequences and temporary tables are not
// tables of the binlog's row events, so a statement about them is never parsed (and
// never fails the stream).
func ddlRelevant(q string) bool {
	words := ddlWords(q, 6)
	if len(words) == 0 {
		return false
	}
	skip := map[string]bool{"OR": true, "REPLACE": true, "UNIQUE": true, "FULLTEXT": true, "SPATIAL": true,
		"ONLINE": true, "OFFLINE": true, "IGNORE": true}
	obj := ""
	for _, w := range words[1:] {
		if !skip[w] {
			obj = w
			break
		}
	}
	switch words[0] {
	case "TRUNCATE":
		return true
	case "RENAME":
		return obj == "TABLE" || obj == "TABLES"
	case "CREATE", "ALTER", "DROP":
		return obj == "TABLE" || obj == "INDEX" || obj == "DATABASE" || obj == "SCHEMA"
	}
	return false
}

// The rewrites of normalizeDDL: MariaDB (and a little MySQL) syntax the TiDB parser
// does not read, turned into syntax it reads with the same effect on the columns the
// history models. Each is a regular expression matched against the statement with
// the insides of its string literals, quoted identifiers and comments blanked out
// (maskDDL), so no rewrite can match inside them; the replacement takes its text
// from the statement itself. Where MariaDB syntax has no equivalent the parser reads
// (the types UUID, INET4 and INET6; COMPRESSED columns) the rewrite adds a column
// COMMENT carrying ddlMarker and what it stands for, which ddlApplier.column reads.
// Not rewritten, so failing as unparseable: system versioning (WITH/WITHOUT SYSTEM
// VERSIONING, ADD/DROP SYSTEM VERSIONING, PERIOD FOR, AS ROW START/END), whose tables
// the binlog writes with hidden row_start/row_end columns and history rows while the
// catalog does not list them as base tables, and application-time periods.
var mariadbOnly = []ddlRewrite{
	// CREATE OR REPLACE TABLE: the new definition replaces the old one in the model
	// either way. CREATE OR REPLACE INDEX changes no column.
	{re: regexp.MustCompile(`(?is)^(\s*CREATE\s+)OR\s+REPLACE\s+((?:TEMPORARY\s+)?TABLE\b|(?:(?:UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\b)`), out: "${1}${2}"},
	{re: regexp.MustCompile(`(?i)\bALGORITHM\s*=\s*NOCOPY\b`), out: "ALGORITHM=INPLACE"},
	// ALTER ONLINE [IGNORE] TABLE [IF EXISTS]: ONLINE only asks for a lock-free
	// algorithm; IF EXISTS statements about no table are not logged.
	{re: regexp.MustCompile(`(?is)^(\s*ALTER\s+)ONLINE\s+((?:IGNORE\s+)?TABLE\b)`), out: "${1}${2}"},
	{re: regexp.MustCompile(`(?is)^(\s*ALTER\s+(?:IGNORE\s+)?TABLE\s+)IF\s+EXISTS\s+`), out: "${1}"},
	// RENAME TABLE IF EXISTS: the applier does nothing for a table it does not know
	// in a captured database.
	{re: regexp.MustCompile(`(?is)^(\s*RENAME\s+TABLES?\s+)IF\s+EXISTS\s+`), out: "${1}"},
	// WAIT n and NOWAIT (the lock wait) after the table of ALTER TABLE, TRUNCATE,
	// RENAME TABLE and DROP INDEX, and after the key columns of CREATE INDEX. (DROP
	// TABLE is logged as the server writes it, without them.)
	{re: regexp.MustCompile(`(?is)^(\s*ALTER\s+(?:IGNORE\s+)?TABLE\s+` + ddlName + `)\s+` + ddlWait), out: "${1}"},
	{re: regexp.MustCompile(`(?is)^(\s*TRUNCATE\s+(?:TABLE\s+)?(` + ddlName + `))\s+` + ddlWait), fn: truncateWait},
	{re: regexp.MustCompile(`(?is)^(\s*DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?` + ddlIdent + `\s+ON\s+` + ddlName + `)\s+` + ddlWait), out: "${1}"},
	{re: regexp.MustCompile(`(?is)^(\s*CREATE\s+(?:(?:UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\b[^()]*?\bON\s+` + ddlName +
		`\s*\((?:[^()]|\([^()]*\))*\))\s*` + ddlWait), out: "${1}"},
	{re: regexp.MustCompile(`(?is)((?:\bTABLES?|,)\s*` + ddlName + `)\s+` + ddlWait + `(\s+TO\b)`), out: "${1}${2}",
		only: regexp.MustCompile(`(?is)^\s*RENAME\s+TABLES?\b`)},
	// IF [NOT] EXISTS of clauses the parser reads only without it. A constraint or
	// index the model does not keep; RENAME COLUMN of a column the table does not have
	// changes nothing in the model either.
	{re: regexp.MustCompile(`(?is)\b(RENAME\s+(?:COLUMN|INDEX|KEY)|DROP\s+(?:CONSTRAINT|CHECK|FOREIGN\s+KEY))\s+IF\s+EXISTS\b`), out: "${1}"},
	{re: regexp.MustCompile(`(?is)\b(ADD\s+(?:CONSTRAINT|(?:UNIQUE|FULLTEXT|SPATIAL)(?:\s+(?:INDEX|KEY))?))\s+IF\s+NOT\s+EXISTS\b`), out: "${1}"},
	// ADD PRIMARY KEY IF NOT EXISTS leaves a primary key the table has: the applier
	// reads the marker comment, after the key's own options (the parser keeps the last
	// COMMENT).
	{re: regexp.MustCompile(`(?is)(\bPRIMARY\s+KEY)\s+IF\s+NOT\s+EXISTS(\s*(?:USING\s+\w+\s*)?` + ddlParens +
		`(?:\s+(?:COMMENT\s*'[^']*'|USING\s+\w+|KEY_BLOCK_SIZE\s*=?\s*\d+))*)`),
		out: "${1}${2} COMMENT '" + ddlMarker + "if-not-exists'"},
	// A stored generated column: AS (expr) PERSISTENT.
	{re: regexp.MustCompile(`(?is)(\)\s*)PERSISTENT\b`), out: "${1}STORED"},
	// Aria's row format.
	{re: regexp.MustCompile(`(?is)\b(ROW_FORMAT\s*=?\s*)PAGE\b`), out: "${1}DEFAULT"},
	// Invisible columns are columns of the binlog's rows and of the catalog like any.
	{re: regexp.MustCompile(`(?is)(` + ddlIdent + `|[)'"\x60])\s+INVISIBLE\b`), fn: dropInvisible,
		only: regexp.MustCompile(`(?is)^\s*(?:CREATE\s+(?:TEMPORARY\s+)?|ALTER\s+(?:IGNORE\s+)?)TABLE\b`)},
	// Ignored indexes (MariaDB 10.6): MySQL's invisible indexes (after the rule for
	// INVISIBLE columns, which drops MySQL's INVISIBLE after a key).
	{re: regexp.MustCompile(`(?is)(\)(?:\s+(?:COMMENT\s+'[^']*'|USING\s+\w+|KEY_BLOCK_SIZE\s*=?\s*\d+))*\s*)NOT\s+IGNORED\b`), out: "${1}VISIBLE"},
	{re: regexp.MustCompile(`(?is)(\)(?:\s+(?:COMMENT\s+'[^']*'|USING\s+\w+|KEY_BLOCK_SIZE\s*=?\s*\d+))*\s*)IGNORED\b`), out: "${1}INVISIBLE"},
	{re: regexp.MustCompile(`(?is)(\bALTER\s+)(?:INDEX|KEY)(\s+` + ddlIdent + `\s+)NOT\s+IGNORED\b`), out: "${1}INDEX${2}VISIBLE"},
	{re: regexp.MustCompile(`(?is)(\bALTER\s+)(?:INDEX|KEY)(\s+` + ddlIdent + `\s+)IGNORED\b`), out: "${1}INDEX${2}INVISIBLE"},
	// COMPRESSED columns: the catalog's COLUMN_TYPE has /*M!100301 COMPRESSED*/.
	{re: regexp.MustCompile(`(?is)\b((?:TINY|MEDIUM|LONG)?(?:BLOB|TEXT)(?:\s*\(\s*\d+\s*\))?|(?:VAR(?:CHAR|BINARY)|CHAR(?:ACTER)?\s+VARYING|` +
		`NATIONAL\s+VARCHAR|NATIONAL\s+CHAR(?:ACTER)?\s+VARYING|NVARCHAR|NCHAR\s+VARCHAR)\s*\(\s*\d+\s*\)|LONG(?:\s+VAR(?:CHAR|BINARY))?|JSON)` +
		`\s+(?:/\*M?!\d*\s*)?COMPRESSED(?:\s*=\s*ZLIB)?(?:\s*\*/)?` +
		`((?:\s+(?:(?:CHARACTER\s+SET|CHARSET)\s*=?\s*` + ddlIdent + `|COLLATE\s*=?\s*` + ddlIdent + `|BINARY))*)`),
		fn: compressedColumn},
	// MariaDB's UUID, INET4 and INET6 types, after a column name in a column
	// definition (after a space when after a keyword: ADD in address is none; for
	// CHANGE COLUMN a uuid INT, see mariadbType).
	{re: regexp.MustCompile(`(?is)((?:[(,]\s*|(?:\bADD(?:\s+COLUMN)?(?:\s+IF\s+NOT\s+EXISTS)?|\bMODIFY(?:\s+COLUMN)?(?:\s+IF\s+EXISTS)?|` +
		`\bCHANGE(?:\s+COLUMN)?(?:\s+IF\s+EXISTS)?\s+` + ddlIdent + `)\s+)(` + ddlIdent + `)\s+)(UUID|INET4|INET6)\b`), fn: mariadbType},
	// Character sets and collations the parser does not know (it knows few character
	// sets): a character set is written as its default collation, which names it.
	{re: regexp.MustCompile(`(?is)\b(CHARACTER\s+SET|CHARSET)(\s*=?\s*)(` + ddlIdent + `|'[^']*'|"[^"]*")`), fn: knownCharset},
	{re: regexp.MustCompile(`(?is)\b(COLLATE)(\s*=?\s*)(` + ddlIdent + `|'[^']*'|"[^"]*")`), fn: knownCollation},
	{re: regexp.MustCompile(`(?is)(^|[^\w$\x{80}-\x{10FFFF}.` + "`" + `])_([a-z0-9]+)(\s*')`), fn: knownIntroducer},
	// Expression defaults (MariaDB takes any; the parser few): written as a string
	// marking the expression's text (see ddlDefault).
	{re: regexp.MustCompile(`(?is)\b(DEFAULT\s*)(` + ddlParens + `|` + ddlIdent + `\s*` + ddlParens + `|` + ddlIdent + `)`), fn: ddlDefault},
}

const (
	// ddlIdent is an identifier: quoted (its inside blanked by maskDDL) or not.
	ddlIdent = "(?:`[^`]*`|[\\w$\\x{80}-\\x{10FFFF}]+)"
	// ddlName is a table name, qualified or not.
	ddlName = ddlIdent + `(?:\s*\.\s*` + ddlIdent + `)?`
	ddlWait = `(?:WAIT\s+\d+(?:\.\d*)?|NOWAIT)\b`
	// ddlParens is a parenthesized expression, parentheses nested up to four deep.
	ddlParens = `\((?:[^()]|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))*\)`
	// ddlMarker begins the COMMENT a rewrite adds to a column for what the parser
	// cannot read (see mariadbOnly).
	ddlMarker = "tributary-cdc-ddl:"
)

// ddlRewrite is a rewrite of normalizeDDL: each match of re (against the masked
// statement) is replaced by out, expanded with the statement's own text, or by what
// fn returns (false: the match is left as it is). With only set, the rewrite applies
// only to statements it matches.
type ddlRewrite struct {
	re   *regexp.Regexp
	out  string
	only *regexp.Regexp
	fn   func(q, masked string, m []int) (string, bool)
}

var reSelect = regexp.MustCompile(`(?i)\bSELECT\b`)

func (r *ddlRewrite) apply(q string) string {
	masked := maskDDL(q)
	if r.only != nil && !r.only.MatchString(masked) {
		return q
	}
	ms := r.re.FindAllStringSubmatchIndex(masked, -1)
	if ms == nil {
		return q
	}
	// The query of CREATE TABLE ... SELECT is no column definition: its columns come
	// from the catalog, and the parser reads it as it is.
	if sel := reSelect.FindStringIndex(masked); sel != nil {
		ms = slices.DeleteFunc(ms, func(m []int) bool { return m[1] > sel[0] })
		if len(ms) == 0 {
			return q
		}
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		var rep string
		if r.fn != nil {
			s, ok := r.fn(q, masked, m)
			if !ok {
				continue
			}
			rep = s
		} else {
			rep = string(r.re.ExpandString(nil, r.out, q, m))
		}
		b.WriteString(q[last:m[0]])
		b.WriteString(rep)
		last = m[1]
	}
	b.WriteString(q[last:])
	return b.String()
}

// normalizeDDL rewrites what the TiDB parser does not read of a statement (see
// mariadbOnly); a statement without such syntax is returned as it is.
func normalizeDDL(q string) string {
	for i := range mariadbOnly {
		q = mariadbOnly[i].apply(q)
	}
	return q
}

// maskByte replaces the inside of string literals and quoted identifiers in maskDDL.
const maskByte = '\x01'

// maskDDL returns q, of the same length, with the insides of string literals ('...',
// "...") and quoted identifiers (`...`) replaced by maskByte and comments by spaces.
// Executable comments (/*! ... */, MariaDB's /*M! ... */) are left: their text is
// part of the statement. Backslash escapes are read as with the default SQL mode (a
// statement of a server running with NO_BACKSLASH_ESCAPES and a backslash before a
// closing quote is masked too far, which can only leave a rewrite out).
func maskDDL(q string) string {
	b := []byte(q)
	blank := func(from, to int, c byte) {
		for k := from; k < to && k < len(b); k++ {
			if b[k] != '\n' || c != ' ' {
				b[k] = c
			}
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(b) {
				if b[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if b[j] == c {
					if j+1 < len(b) && b[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			blank(i+1, j, maskByte)
			i = j + 1
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			if i+2 < len(b) && (b[i+2] == '!' || b[i+2] == 'M' && i+3 < len(b) && b[i+3] == '!') {
				i += 3
				continue
			}
			end := len(b)
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end, ' ')
			i = end
		case c == '#' || c == '-' && i+2 < len(b) && b[i+1] == '-' && (b[i+2] == ' ' || b[i+2] == '\t'):
			end := len(b)
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				end = i + j
			}
			blank(i, end, ' ')
			i = end
		default:
			i++
		}
	}
	return string(b)
}

// group returns submatch n of m in s ("" when it did not take part).
func group(s string, m []int, n int) string {
	if m[2*n] < 0 {
		return ""
	}
	return s[m[2*n]:m[2*n+1]]
}

// unquoteName returns an identifier or string without its quotes.
func unquoteName(s string) string {
	if len(s) >= 2 && (s[0] == '`' || s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		q := s[:1]
		return strings.ReplaceAll(s[1:len(s)-1], q+q, q)
	}
	return s
}

// notColumnAttr are words after which INVISIBLE is an identifier, not the attribute
// of a column definition.
var notColumnAttr = map[string]bool{"COLUMN": true, "EXISTS": true, "ADD": true, "DROP": true, "MODIFY": true,
	"CHANGE": true, "AFTER": true, "TO": true, "TABLE": true, "ALTER": true, "RENAME": true, "INDEX": true, "KEY": true,
	"CONSTRAINT": true, "ON": true, "REFERENCES": true, "BY": true, "AS": true, "SELECT": true, "FROM": true,
	"WHERE": true, "AND": true, "OR": true, "NOT": true, "SET": true, "FOR": true, "IN": true, "IS": true,
	"LIKE": true, "THEN": true, "ELSE": true, "WHEN": true, "CASE": true, "PERIOD": true, "CHECK": true, "PARTITION": true,
	"SUBPARTITION": true, "XOR": true, "DIV": true, "MOD": true, "REGEXP": true, "RLIKE": true, "ESCAPE": true, "INTERVAL": true,
	"PARSER": true, "TABLESPACE": true}

// columnAttrs are the words that may follow a column attribute in a column definition.
var columnAttrs = map[string]bool{"NULL": true, "NOT": true, "DEFAULT": true, "COMMENT": true, "AUTO_INCREMENT": true,
	"PRIMARY": true, "UNIQUE": true, "KEY": true, "CHECK": true, "REFERENCES": true, "COLLATE": true, "CHARACTER": true,
	"CHARSET": true, "ON": true, "FIRST": true, "AFTER": true, "GENERATED": true, "AS": true, "WITH": true,
	"WITHOUT": true, "COMPRESSED": true, "INVISIBLE": true, "CONSTRAINT": true, "SERIAL": true, "PERSISTENT": true,
	"VIRTUAL": true, "STORED": true, "COLUMN_FORMAT": true, "STORAGE": true, "BINARY": true}

var (
	reWordAfter   = regexp.MustCompile(`^\s*([\w$\x{80}-\x{10FFFF}]*)`)
	reIndexBefore = regexp.MustCompile(`(?i)\b(?:INDEX|KEY)\s+$`)
)

// dropInvisible removes the INVISIBLE attribute of a column: m matched the token
// before it and INVISIBLE. It is an attribute when it follows a type, a value or
// another attribute and is followed by the end of the definition or another
// attribute; otherwise it is a column called invisible, or MySQL's ALTER INDEX
// i INVISIBLE, left as it is.
func dropInvisible(q, masked string, m []int) (string, bool) {
	prev := group(masked, m, 1)
	if notColumnAttr[strings.ToUpper(prev)] || strings.HasPrefix(prev, "`") || reIndexBefore.MatchString(masked[:m[2]]) {
		return "", false
	}
	rest := masked[m[1]:]
	next := strings.TrimLeft(rest, " \t\r\n")
	if next != "" && next[0] != ',' && next[0] != ')' && next[0] != ';' {
		w := reWordAfter.FindStringSubmatch(next)[1]
		if !columnAttrs[strings.ToUpper(w)] {
			return "", false
		}
	}
	return q[m[0]:m[3]], true
}

// truncateWait drops the lock wait of TRUNCATE [TABLE] t: m matched the statement up to
// the table name (group 1), the name (group 2) and the wait. In TRUNCATE TABLE nowait,
// nowait is the table.
func truncateWait(q, masked string, m []int) (string, bool) {
	if strings.EqualFold(group(masked, m, 2), "TABLE") {
		return "", false
	}
	return group(q, m, 1), true
}

// compressedColumn marks a COMPRESSED column: m matched its type (group 1),
// COMPRESSED and the character set and collation after it (group 2). It is the
// attribute when the column definition ends or goes on with another attribute after
// it; otherwise it is a column called compressed (CHANGE text compressed INT).
func compressedColumn(q, masked string, m []int) (string, bool) {
	if next := strings.TrimLeft(masked[m[1]:], " \t\r\n"); next != "" && next[0] != ',' && next[0] != ')' && next[0] != ';' {
		if w := reWordAfter.FindStringSubmatch(next)[1]; !columnAttrs[strings.ToUpper(w)] {
			return "", false
		}
	}
	return group(q, m, 1) + group(q, m, 2) + " COMMENT '" + ddlMarker + "compressed'", true
}

// reservedColumnStart are words that begin a clause or an index definition where a
// column definition could begin: never the name of a column, unquoted.
var reservedColumnStart = map[string]bool{"CONSTRAINT": true, "INDEX": true, "KEY": true, "PRIMARY": true,
	"UNIQUE": true, "FOREIGN": true, "FULLTEXT": true, "SPATIAL": true, "CHECK": true, "PERIOD": true,
	"PARTITION": true, "COLUMN": true, "SYSTEM": true}

// mariadbType replaces UUID, INET4 or INET6 after a column name with the binary string
// the binlog carries and a marker comment naming the type (ddlApplier.column).
func mariadbType(q, masked string, m []int) (string, bool) {
	if reservedColumnStart[strings.ToUpper(group(masked, m, 2))] {
		return "", false
	}
	// CHANGE COLUMN a uuid INT: COLUMN is no old name (a reserved word), so uuid is
	// the new name.
	if words := strings.Fields(masked[m[2]:m[4]]); strings.EqualFold(words[0], "CHANGE") && strings.EqualFold(words[len(words)-1], "COLUMN") {
		return "", false
	}
	if next := strings.TrimLeft(masked[m[1]:], " \t\r\n"); strings.HasPrefix(next, "(") || strings.HasPrefix(next, ".") {
		return "", false // a function or a qualified name, not a type
	}
	tp := strings.ToLower(group(q, m, 3))
	size := "16"
	if tp == "inet4" {
		size = "4"
	}
	return group(q, m, 1) + "BINARY(" + size + ") COMMENT '" + ddlMarker + "type=" + tp + "'", true
}

var (
	reCollateNext = regexp.MustCompile(`(?i)^\s*COLLATE\b`)
	reConvertTo   = regexp.MustCompile(`(?i)\bCONVERT\s+TO\s+$`)
)

// knownCharset writes a character set the parser does not know as its default
// collation (COLLATE names the character set too), or leaves it out right before a
// COLLATE (a column cannot have two); CONVERT TO CHARACTER SET keeps a character set,
// DEFAULT.
func knownCharset(q, masked string, m []int) (string, bool) {
	name := strings.ToLower(unquoteName(group(q, m, 3)))
	cs, err := charset.GetCharsetInfo(name)
	if err == nil || cs == nil {
		return "", false // known, or unknown to MySQL too: the server refused it
	}
	coll := defaultCollation(cs)
	if coll == "" {
		return "", false
	}
	collates := reCollateNext.MatchString(masked[m[1]:])
	convert := reConvertTo.MatchString(masked[:m[0]])
	switch {
	case convert && collates:
		return "CHARACTER SET DEFAULT", true
	case convert:
		return "CHARACTER SET DEFAULT COLLATE " + coll, true
	case collates:
		return "", true
	}
	return "COLLATE" + group(q, m, 2) + coll, true
}

// defaultCollation names a collation of the character set that the parser knows to be
// of it (its table has koi8r's and koi8u's default collations swapped).
func defaultCollation(cs *charset.Charset) string {
	for _, name := range []string{cs.DefaultCollation, cs.Name + "_general_ci", cs.Name + "_bin"} {
		if c, err := charset.GetCollationByName(name); err == nil && c.CharsetName == cs.Name {
			return c.Name
		}
	}
	return ""
}

// knownCollation replaces a collation the parser does not know (MariaDB's utf8mb3_*
// names and its own collations) with one of the same character set it knows.
func knownCollation(q, masked string, m []int) (string, bool) {
	name := strings.ToLower(unquoteName(group(q, m, 3)))
	if _, err := charset.GetCollationByName(name); err == nil {
		return "", false
	}
	repl := ""
	if rest, ok := strings.CutPrefix(name, "utf8mb3_"); ok {
		if _, err := charset.GetCollationByName("utf8_" + rest); err == nil {
			repl = "utf8_" + rest
		}
	}
	if repl == "" {
		csName, _, _ := strings.Cut(name, "_")
		if cs, _ := charset.GetCharsetInfo(csName); cs != nil {
			repl = defaultCollation(cs)
		}
	}
	if repl == "" {
		return "", false
	}
	return group(q, m, 1) + group(q, m, 2) + repl, true
}

// defaultKeep are the words after DEFAULT that are no expression normalizeDDL
// rewrites: literals, the current time the parser reads (and the information schema
// shows as it restores it), sequences, and the DEFAULT of CHARACTER SET, COLLATE,
// ON DELETE SET DEFAULT and table options.
var defaultKeep = map[string]bool{"NULL": true, "TRUE": true, "FALSE": true, "UNKNOWN": true,
	"CURRENT_TIMESTAMP": true, "NOW": true, "LOCALTIME": true, "LOCALTIMESTAMP": true, "NEXT": true,
	"NEXTVAL": true, "LASTVAL": true, "PREVIOUS": true, "VALUE": true, "CHARSET": true, "CHARACTER": true,
	"COLLATE": true, "ON": true, "ENCRYPTION": true, "ENGINE": true}

// defaultAliases are functions MariaDB writes by another name in COLUMN_DEFAULT.
var defaultAliases = map[string]string{"current_date": "curdate", "current_time": "curtime", "lower": "lcase",
	"upper": "ucase", "substring": "substr", "character_length": "char_length", "current_user": "current_user",
	"utc_date": "utc_date", "utc_time": "utc_time", "now": "current_timestamp", "localtime": "current_timestamp",
	"localtimestamp": "current_timestamp"}

// defaultBare are words that are a function without parentheses.
var defaultBare = map[string]bool{"CURRENT_DATE": true, "CURRENT_TIME": true, "CURRENT_USER": true, "CURRENT_ROLE": true,
	"UTC_DATE": true, "UTC_TIME": true, "UTC_TIMESTAMP": true, "CURRENT_TIMESTAMP": true, "LOCALTIME": true, "LOCALTIMESTAMP": true}

// ddlDefault replaces a DEFAULT expression with a string marking its text, rendered as
// MariaDB shows it in COLUMN_DEFAULT (functions in lower case, columns quoted,
// spaces around operators): m matched DEFAULT and a parenthesized expression, a
// function call or a word. Literals and what the parser reads as well (the current
// time, sequences) are left, as are the other uses of the word DEFAULT.
func ddlDefault(q, masked string, m []int) (string, bool) {
	expr, mexpr := group(q, m, 2), group(masked, m, 2)
	word := strings.ToUpper(reWordAfter.FindStringSubmatch(mexpr)[1])
	rest := strings.TrimLeft(masked[m[1]:], " \t\r\n")
	switch {
	case strings.HasPrefix(mexpr, "("):
		inner := strings.TrimSpace(mexpr[1 : len(mexpr)-1])
		if reLiteral.MatchString(inner) || reNowCall.MatchString(inner) {
			// DEFAULT (5), DEFAULT ('x'), DEFAULT (NOW(3)): the literal or the current
			// time, as the server takes it. (DEFAULT(5): a space keeps DEFAULT a word.)
			return strings.TrimRight(group(q, m, 1), " \t\r\n") + " " + strings.TrimSpace(expr[1:len(expr)-1]), true
		}
	case strings.HasSuffix(mexpr, ")"): // a function call
		if defaultKeep[word] {
			return "", false
		}
	default: // a word
		if word == "" || word[0] >= '0' && word[0] <= '9' || defaultKeep[word] || strings.HasPrefix(word, "_") ||
			strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, "\"") {
			return "", false // a number, a literal or an introducer
		}
		if !defaultBare[word] && !strings.HasPrefix(mexpr, "`") {
			// A column, if what follows ends the column definition.
			next := strings.ToUpper(reWordAfter.FindStringSubmatch(rest)[1])
			if !(rest == "" || rest[0] == ',' || rest[0] == ')' || rest[0] == ';' || next != "" && columnAttrs[next]) {
				return "", false
			}
		}
	}
	text := renderDefault(expr, mexpr)
	return group(q, m, 1) + "'" + strings.NewReplacer("\\", "\\\\", "'", "''").Replace(ddlMarker+"default="+text) + "'", true
}

var (
	// reLiteral is a literal (masked): a number, a string (with a character set
	// introducer, N, X or B, or strings written one after the other), NULL, TRUE or
	// FALSE.
	reLiteral = regexp.MustCompile(`(?i)^(?:[-+]?\s*(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+|0b[01]+|[nxb]'[^']*'|` +
		`(?:_[a-z0-9]+\s*)?(?:'[^']*'|"[^"]*")(?:\s*(?:'[^']*'|"[^"]*"))*|NULL|TRUE|FALSE)$`)
	// reNowCall is the current time as the parser reads it after DEFAULT.
	reNowCall = regexp.MustCompile(`(?i)^(?:(?:CURRENT_TIMESTAMP|LOCALTIME|LOCALTIMESTAMP)(?:\s*\(\s*\d*\s*\))?|NOW\s*\(\s*\d*\s*\))$`)
)

// renderDefault writes a DEFAULT expression as MariaDB's COLUMN_DEFAULT does, for the
// common forms: one function call without its parentheses, function names in lower
// case (and by MariaDB's name for some), columns in backquotes, one space around a
// binary operator, none after a comma. m is expr masked (maskDDL).
func renderDefault(expr, m string) string {
	type token struct {
		s    string
		kind byte // 'w' word, 'q' quoted, 'p' punctuation or operator
	}
	var toks []token
	for i := 0; i < len(m); {
		c := m[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(m) && m[j] != c {
				j++
			}
			s := expr[i:min(j+1, len(expr))]
			if c == '"' { // a string: MariaDB writes it in single quotes
				s = "'" + strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `""`, `"`), "'", "''") + "'"
			}
			toks = append(toks, token{s, 'q'})
			i = j + 1
		case c == '_' || c == '$' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(m) && (m[j] == '_' || m[j] == '$' || m[j] == '.' || m[j] >= '0' && m[j] <= '9' || m[j] >= 'a' && m[j] <= 'z' ||
				m[j] >= 'A' && m[j] <= 'Z' || m[j] >= 0x80) {
				j++
			}
			toks = append(toks, token{expr[i:j], 'w'})
			i = j
		default:
			j := i + 1
			if j < len(m) && strings.Contains("<>=!|&", string(c)) && strings.Contains("<>=|&", string(m[j])) {
				j++
			}
			toks = append(toks, token{expr[i:j], 'p'})
			i = j
		}
	}
	// (f(...)), (CURRENT_DATE): the call.
	if len(toks) == 3 && toks[0].s == "(" && toks[1].kind == 'w' && defaultBare[strings.ToUpper(toks[1].s)] && toks[2].s == ")" {
		toks = toks[1:2]
	}
	if len(toks) > 3 && toks[0].s == "(" && toks[len(toks)-1].s == ")" && toks[1].kind == 'w' && toks[2].s == "(" {
		depth, whole := 0, true
		for i, t := range toks[2 : len(toks)-1] {
			switch t.s {
			case "(":
				depth++
			case ")":
				depth--
				if depth == 0 && i != len(toks)-4 {
					whole = false
				}
			}
		}
		if whole {
			toks = toks[1 : len(toks)-1]
		}
	}
	keywords := map[string]bool{"NULL": true, "TRUE": true, "FALSE": true, "AND": true, "OR": true, "NOT": true, "XOR": true,
		"IS": true, "IN": true, "LIKE": true, "BETWEEN": true, "INTERVAL": true, "DIV": true, "MOD": true, "CASE": true,
		"WHEN": true, "THEN": true, "ELSE": true, "END": true, "AS": true, "BINARY": true, "MICROSECOND": true, "SECOND": true,
		"MINUTE": true, "HOUR": true, "DAY": true, "WEEK": true, "MONTH": true, "QUARTER": true, "YEAR": true, "SIGNED": true,
		"UNSIGNED": true, "CHAR": true, "DATE": true, "DATETIME": true, "TIME": true, "DECIMAL": true, "INTEGER": true}
	var b strings.Builder
	for i, t := range toks {
		prev := token{}
		if i > 0 {
			prev = toks[i-1]
		}
		call := i+1 < len(toks) && toks[i+1].s == "("
		switch {
		case t.kind == 'w' && call:
			name := strings.ToLower(t.s)
			if alias, ok := defaultAliases[name]; ok {
				name = alias
			}
			b.WriteString(name)
		case t.kind == 'w' && defaultBare[strings.ToUpper(t.s)]:
			name := strings.ToLower(t.s)
			if alias, ok := defaultAliases[name]; ok {
				name = alias
			}
			b.WriteString(name + "()")
		case t.kind == 'w' && (keywords[strings.ToUpper(t.s)] || t.s[0] >= '0' && t.s[0] <= '9' || t.s[0] == '.'):
			b.WriteString(strings.ToLower(t.s))
		case t.kind == 'w':
			b.WriteString("`" + t.s + "`")
		case t.kind == 'p' && (t.s == "(" || t.s == ")" || t.s == ","):
			b.WriteString(t.s)
		case t.kind == 'p' && (t.s == "-" || t.s == "+" || t.s == "!" || t.s == "~") && (i == 0 || prev.kind == 'p' && prev.s != ")"):
			b.WriteString(t.s) // unary
		case t.kind == 'p':
			b.WriteString(" " + t.s + " ")
		default:
			b.WriteString(t.s)
		}
		if t.kind != 'p' && i+1 < len(toks) && toks[i+1].kind != 'p' {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// knownIntroducer drops a character set introducer (_latin2'...') the parser does not
// know.
func knownIntroducer(q, masked string, m []int) (string, bool) {
	cs, err := charset.GetCharsetInfo(strings.ToLower(group(q, m, 2)))
	if err == nil || cs == nil {
		return "", false
	}
	return group(q, m, 1) + group(q, m, 3), true
}

// ddlWords returns the first n keywords of a statement, upper-case, after comments.
func ddlWords(q string, n int) []string {
	var out []string
	for len(out) < n {
		kw := ddlKeyword(q)
		if kw == "" {
			break
		}
		out = append(out, kw)
		q = strings.TrimLeft(q, " \t\r\n")
		for strings.HasPrefix(q, "/*") || strings.HasPrefix(q, "#") || strings.HasPrefix(q, "-- ") {
			// ddlKeyword skipped these: skip them here too.
			if strings.HasPrefix(q, "/*") {
				i := strings.Index(q, "*/")
				if i < 0 {
					return out
				}
				q = strings.TrimLeft(q[i+2:], " \t\r\n")
			} else {
				i := strings.IndexByte(q, '\n')
				if i < 0 {
					return out
				}
				q = strings.TrimLeft(q[i+1:], " \t\r\n")
			}
		}
		q = q[len(kw):]
	}
	return out
}

// ddlApplier applies one parsed statement to a model, collecting the tables and
// databases it changes.
type ddlApplier struct {
	m         *schemaModel
	defaultDB string
	flavor    string
	captures  func(db string) bool // the database is modelled
	// lookup reads a table from the catalog: for a table the model does not have
	// (CREATE TABLE ... LIKE a table of an uncaptured database, RENAME from one) and
	// for CREATE TABLE ... SELECT, whose columns come from the query.
	lookup func(db, name string) (*tableInfo, error)
	// serverCharset is the server's character_set_server: the default of databases
	// created without a character set.
	serverCharset string

	tables map[string]*tableInfo
	dbs    map[string]string
}

func (a *ddlApplier) name(tn *ast.TableName) (db, key string) {
	db = tn.Schema.O
	if db == "" {
		db = a.defaultDB
	}
	return db, db + "." + tn.Name.O
}

func (a *ddlApplier) get(key string) *tableInfo { return a.m.tables[key] }

func (a *ddlApplier) set(db, key string, t *tableInfo) {
	if !a.captures(db) {
		return
	}
	if a.tables == nil {
		a.tables = map[string]*tableInfo{}
	}
	if t != nil {
		t.index()
	}
	a.tables[key] = t
	if t == nil {
		delete(a.m.tables, key)
	} else {
		a.m.tables[key] = t
	}
}

func (a *ddlApplier) setDB(db, cs string) {
	if !a.captures(db) {
		return
	}
	if a.dbs == nil {
		a.dbs = map[string]string{}
	}
	a.dbs[db] = cs
	if cs == "" {
		delete(a.m.dbs, db)
	} else {
		a.m.dbs[db] = cs
	}
}

// copyTable returns a deep enough copy of t to change its columns.
func copyTable(t *tableInfo) *tableInfo {
	return &tableInfo{cols: slices.Clone(t.cols), pk: slices.Clone(t.pk), charset: t.charset}
}

// apply changes the model by stmt.
func (a *ddlApplier) apply(stmt ast.StmtNode) error {
	switch s := stmt.(type) {
	case *ast.CreateTableStmt:
		return a.createTable(s)
	case *ast.AlterTableStmt:
		return a.alterTable(s)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return nil
		}
		for _, tn := range s.Tables {
			db, key := a.name(tn)
			if a.get(key) != nil {
				a.set(db, key, nil)
			}
		}
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			if err := a.rename(tt.OldTable, tt.NewTable); err != nil {
				return err
			}
		}
	case *ast.CreateIndexStmt:
		if s.KeyType == ast.IndexKeyTypeUnique {
			db, key := a.name(s.Table)
			if t := a.get(key); t != nil && len(t.pk) == 0 {
				t = copyTable(t)
				promoteUnique(t, nil, []*ast.Constraint{{Tp: ast.ConstraintUniq, Keys: s.IndexPartSpecifications}})
				if len(t.pk) > 0 {
					a.set(db, key, t)
				}
			}
		}
	case *ast.DropIndexStmt:
		if strings.EqualFold(s.IndexName, "PRIMARY") {
			db, key := a.name(s.Table)
			if t := a.get(key); t != nil {
				t = copyTable(t)
				t.pk = nil
				a.set(db, key, t)
			}
		}
	case *ast.CreateDatabaseStmt:
		a.setDB(s.Name.O, a.dbCharset(s.Options, a.m.dbs[s.Name.O]))
	case *ast.AlterDatabaseStmt:
		db := s.Name.O
		if s.AlterDefaultDatabase || db == "" {
			db = a.defaultDB
		}
		if cs := a.dbCharset(s.Options, ""); cs != "" {
			a.setDB(db, cs)
		}
	case *ast.DropDatabaseStmt:
		db := s.Name.O
		for key := range a.m.tables {
			if strings.HasPrefix(key, db+".") {
				a.set(db, key, nil)
			}
		}
		a.setDB(db, "")
	}
	// TRUNCATE and other index statements: no column changes.
	return nil
}

func (a *ddlApplier) dbCharset(opts []*ast.DatabaseOption, def string) string {
	cs := def
	for _, o := range opts {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = strings.ToLower(o.Value)
		case ast.DatabaseOptionCollate:
			if c := collationCharsetName(o.Value); c != "" {
				cs = c
			}
		}
	}
	if cs == "" {
		cs = a.serverCharset // what the server gives a database created without one
	}
	if cs == "" {
		cs = "utf8mb4"
	}
	return a.charsetName(cs)
}

// charsetName names a character set as the catalog does: the parser calls utf8mb3
// utf8, MariaDB (10.6 on) calls it utf8mb3.
func (a *ddlApplier) charsetName(cs string) string {
	if cs == "utf8" && a.flavor == gmysql.MariaDBFlavor {
		return "utf8mb3"
	}
	return cs
}

func (a *ddlApplier) rename(from, to *ast.TableName) error {
	fdb, fkey := a.name(from)
	tdb, tkey := a.name(to)
	t := a.get(fkey)
	if t == nil && a.captures(tdb) {
		var err error
		if t, err = a.lookup(tdb, to.Name.O); err != nil { // the catalog has it under the new name now
			return err
		}
	}
	if a.get(fkey) != nil {
		a.set(fdb, fkey, nil)
	}
	if t != nil {
		a.set(tdb, tkey, copyTable(t))
	}
	return nil
}

// tableCharset is the default character set of a new table in db.
func (a *ddlApplier) tableCharset(db string, opts []*ast.TableOption, def string) (cs string, convert bool) {
	cs = def
	for _, o := range opts {
		switch o.Tp {
		case ast.TableOptionCharset:
			cs = strings.ToLower(o.StrValue)
			convert = convert || o.UintValue == ast.TableOptionCharsetWithConvertTo
		case ast.TableOptionCollate:
			if c := collationCharsetName(o.StrValue); c != "" {
				cs = c
			}
		}
	}
	if cs == "" {
		cs = a.m.dbs[db]
	}
	return cs, convert
}

func (a *ddlApplier) createTable(s *ast.CreateTableStmt) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	db, key := a.name(s.Table)
	if !a.captures(db) || s.IfNotExists && a.get(key) != nil {
		return nil
	}
	for _, o := range s.Options {
		if o.Tp == ast.TableOptionSequence && o.UintValue != 0 {
			return nil // MariaDB's CREATE TABLE ... SEQUENCE=1 makes a sequence
		}
	}
	if s.ReferTable != nil {
		rdb, rkey := a.name(s.ReferTable)
		t := a.get(rkey)
		if t == nil {
			var err error
			if t, err = a.lookup(rdb, s.ReferTable.Name.O); err != nil {
				return err
			}
		}
		if t != nil {
			a.set(db, key, copyTable(t))
		}
		return nil
	}
	if s.Select != nil {
		// The columns come from the query: only the server knows them. Row-based
		// binlogs usually log the statement with its columns spelled out instead.
		t, err := a.lookup(db, s.Table.Name.O)
		if err != nil {
			return err
		}
		a.set(db, key, t)
		return nil
	}
	t := &tableInfo{}
	t.charset, _ = a.tableCharset(db, s.Options, "")
	for _, def := range s.Cols {
		c, pk := a.column(def, t.charset)
		t.cols = append(t.cols, c)
		if pk {
			t.pk = []string{c.name}
		}
	}
	for _, con := range s.Constraints {
		if con.Tp == ast.ConstraintPrimaryKey {
			t.pk = a.keyColumns(t, con)
		}
	}
	a.notNullKey(t)
	promoteUnique(t, s.Cols, s.Constraints)
	a.set(db, key, t)
	return nil
}

// promoteUnique gives a table without a primary key the columns of its first UNIQUE
// key of NOT NULL columns (no prefixes) as its primary key: the server uses that key
// as one, and the catalog shows its columns as PRI (the catalog read takes them in
// column order). Keys of column definitions count before the table's. The model keeps
// no other keys, so a key promoted by a later statement (DROP PRIMARY KEY, a column
// made NOT NULL) is not seen.
func promoteUnique(t *tableInfo, cols []*ast.ColumnDef, cons []*ast.Constraint) {
	if len(t.pk) > 0 {
		return
	}
	var keys [][]string
	for _, def := range cols {
		for _, o := range def.Options {
			if o.Tp == ast.ColumnOptionUniqKey {
				keys = append(keys, []string{def.Name.Name.O})
			}
		}
	}
	for _, con := range cons {
		if con.Tp != ast.ConstraintUniq && con.Tp != ast.ConstraintUniqKey && con.Tp != ast.ConstraintUniqIndex {
			continue
		}
		var k []string
		for _, part := range con.Keys {
			if part.Column == nil || part.Length > 0 {
				k = nil
				break
			}
			k = append(k, part.Column.Name.O)
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		ok := true
		for _, name := range k {
			if i := findCol(t, name); i < 0 || t.cols[i].nullable {
				ok = false
			}
		}
		if ok {
			for _, c := range t.cols {
				if slices.ContainsFunc(k, func(n string) bool { return strings.EqualFold(n, c.name) }) {
					t.pk = append(t.pk, c.name)
				}
			}
			return
		}
	}
}

// keyColumns names the columns of a PRIMARY KEY constraint as the table spells them.
func (a *ddlApplier) keyColumns(t *tableInfo, con *ast.Constraint) []string {
	var pk []string
	for _, k := range con.Keys {
		if k.Column == nil {
			continue // a functional key part
		}
		i := findCol(t, k.Column.Name.O)
		if i < 0 {
			i = findCol(t, marker(k.Column.Name.O)) // changed by another clause of an ALTER
		}
		if i >= 0 {
			pk = append(pk, t.cols[i].name)
		}
	}
	return pk
}

// notNullKey makes the primary-key columns NOT NULL, as the server does.
func (a *ddlApplier) notNullKey(t *tableInfo) {
	for i := range t.cols {
		if slices.Contains(t.pk, t.cols[i].name) {
			t.cols[i].nullable = false
		}
	}
}

// findCol finds a column by name; column names are case-insensitive.
func findCol(t *tableInfo, name string) int {
	for i := range t.cols {
		if strings.EqualFold(t.cols[i].name, name) {
			return i
		}
	}
	return -1
}

// place inserts c into cols at pos (nil or none: at the end; otherwise FIRST or
// AFTER a column), or, with at >= 0, replaces cols[at] and moves it when pos says so.
func place(cols []colInfo, c colInfo, at int, pos *ast.ColumnPosition) ([]colInfo, error) {
	if at >= 0 {
		if pos == nil || pos.Tp == ast.ColumnPositionNone {
			cols[at] = c
			return cols, nil
		}
		cols = slices.Delete(cols, at, at+1)
	}
	if pos == nil || pos.Tp == ast.ColumnPositionNone {
		return append(cols, c), nil
	}
	if pos.Tp == ast.ColumnPositionFirst {
		return slices.Insert(cols, 0, c), nil
	}
	for i := range cols {
		if rel := pos.RelativeColumn.Name.O; strings.EqualFold(cols[i].name, rel) || cols[i].name == marker(rel) {
			return slices.Insert(cols, i+1, c), nil
		}
	}
	return append(cols, c), nil // the server refused such a statement: not in the binlog
}

func (a *ddlApplier) alterTable(s *ast.AlterTableStmt) error {
	db, key := a.name(s.Table)
	old := a.get(key)
	if old == nil {
		if !a.captures(db) {
			return nil
		}
		// Not modelled (the table predates the history, in a database captured since):
		// the catalog's current definition is the best there is.
		t, err := a.lookup(db, s.Table.Name.O)
		if err != nil || t == nil {
			return err
		}
		if renamedAway(s) { // the catalog has it under its new name
			a.set(db, key, nil)
			return nil
		}
		a.set(db, key, t)
		return nil
	}
	t := copyTable(old)
	// The clauses name columns as they were before the statement (the server resolves
	// them so: RENAME COLUMN a TO b, RENAME COLUMN b TO a swaps two columns). Each
	// column a clause changes is renamed to a marker first, so a rename earlier in the
	// statement cannot make a later clause find another column; markers left at the
	// end get their names back.
	orig := map[string]string{} // marker -> original name
	for _, spec := range s.Specs {
		src := sourceColumn(spec)
		if src == "" {
			continue
		}
		m := marker(src)
		if _, done := orig[m]; done {
			continue
		}
		if i := findCol(t, src); i >= 0 {
			orig[m] = t.cols[i].name
			for j, k := range t.pk {
				if strings.EqualFold(k, t.cols[i].name) {
					t.pk[j] = m
				}
			}
			t.cols[i].name = m
		}
	}
	resolve := func(name string) string {
		if _, ok := orig[marker(name)]; ok {
			return marker(name)
		}
		return name
	}
	for _, spec := range s.Specs {
		if err := a.alterSpec(t, spec, resolve); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for i := range t.cols {
		if name, ok := orig[t.cols[i].name]; ok {
			t.cols[i].name = name
		}
	}
	for j, k := range t.pk {
		if name, ok := orig[k]; ok {
			t.pk[j] = name
		}
	}
	a.notNullKey(t)
	var newCols []*ast.ColumnDef
	var newCons []*ast.Constraint
	for _, spec := range s.Specs {
		switch spec.Tp {
		case ast.AlterTableAddColumns:
			newCols = append(newCols, spec.NewColumns...)
			newCons = append(newCons, spec.NewConstraints...)
		case ast.AlterTableAddConstraint:
			if spec.Constraint != nil {
				newCons = append(newCons, spec.Constraint)
			}
		}
	}
	promoteUnique(t, newCols, newCons)
	for _, spec := range s.Specs {
		if spec.Tp == ast.AlterTableRenameTable && spec.NewTable != nil {
			ndb, nkey := a.name(spec.NewTable)
			if nkey != key {
				a.set(db, key, nil)
				db, key = ndb, nkey
			}
		}
	}
	a.set(db, key, t)
	return nil
}

func renamedAway(s *ast.AlterTableStmt) bool {
	for _, spec := range s.Specs {
		if spec.Tp == ast.AlterTableRenameTable {
			return true
		}
	}
	return false
}

// marker stands for an original column while an ALTER's clauses are applied; no
// identifier can contain the NUL byte.
func marker(name string) string { return "\x00" + strings.ToLower(name) }

// sourceColumn is the existing column a clause changes, by its name before the
// statement, or "".
func sourceColumn(spec *ast.AlterTableSpec) string {
	switch spec.Tp {
	case ast.AlterTableDropColumn, ast.AlterTableChangeColumn, ast.AlterTableRenameColumn:
		if spec.OldColumnName != nil {
			return spec.OldColumnName.Name.O
		}
	case ast.AlterTableModifyColumn, ast.AlterTableAlterColumn:
		if len(spec.NewColumns) > 0 && spec.NewColumns[0].Name != nil {
			return spec.NewColumns[0].Name.Name.O
		}
	}
	return ""
}

// alterSpec applies one clause; resolve maps a column name of the clause to the
// column it means (see alterTable).
func (a *ddlApplier) alterSpec(t *tableInfo, spec *ast.AlterTableSpec, resolve func(string) string) error {
	var err error
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for _, def := range spec.NewColumns {
			c, pk := a.column(def, t.charset)
			at := findCol(t, c.name)
			if at >= 0 && spec.IfNotExists {
				continue
			}
			pos := spec.Position
			if len(spec.NewColumns) > 1 {
				pos = nil
			}
			if at >= 0 {
				// Already there: the model was read just after the statement ran
				// (see stableModel). Applying it again must give the same table.
				if pos == nil || pos.Tp == ast.ColumnPositionNone {
					pos = &ast.ColumnPosition{Tp: ast.ColumnPositionNone}
					t.cols = slices.Delete(t.cols, at, at+1)
					at = -1
				}
			}
			if t.cols, err = place(t.cols, c, at, pos); err != nil {
				return err
			}
			if pk {
				t.pk = []string{c.name}
			}
		}
		for _, con := range spec.NewConstraints {
			if con.Tp == ast.ConstraintPrimaryKey {
				t.pk = a.keyColumns(t, con)
			}
		}
	case ast.AlterTableDropColumn:
		at := findCol(t, resolve(spec.OldColumnName.Name.O))
		if at < 0 { // IF EXISTS, or applied already
			return nil
		}
		name := t.cols[at].name
		t.cols = slices.Delete(t.cols, at, at+1)
		t.pk = slices.DeleteFunc(t.pk, func(k string) bool { return k == name })
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		oldName := spec.NewColumns[0].Name.Name.O
		if spec.Tp == ast.AlterTableChangeColumn {
			oldName = spec.OldColumnName.Name.O
		}
		at := findCol(t, resolve(oldName))
		if at < 0 && !spec.IfExists {
			// Applied already. (With IF EXISTS, a column of the new name is another
			// column the server left alone, and the model shows the statement's
			// effect already when it was applied.)
			at = findCol(t, spec.NewColumns[0].Name.Name.O)
		}
		if at < 0 {
			return nil
		}
		prev := t.cols[at].name
		c, pk := a.column(spec.NewColumns[0], t.charset)
		if t.cols, err = place(t.cols, c, at, spec.Position); err != nil {
			return err
		}
		for i, k := range t.pk {
			if k == prev {
				t.pk[i] = c.name
			}
		}
		if pk && !slices.Contains(t.pk, c.name) {
			t.pk = []string{c.name}
		}
	case ast.AlterTableRenameColumn:
		at := findCol(t, resolve(spec.OldColumnName.Name.O))
		if at < 0 { // applied already
			return nil
		}
		prev := t.cols[at].name
		t.cols[at].name = spec.NewColumnName.Name.O
		for i, k := range t.pk {
			if k == prev {
				t.pk[i] = t.cols[at].name
			}
		}
	case ast.AlterTableAlterColumn:
		def := spec.NewColumns[0]
		at := findCol(t, resolve(def.Name.Name.O))
		if at < 0 {
			return nil
		}
		// DROP DEFAULT has no options; SET DEFAULT an option of no type with the value.
		t.cols[at].def = nil
		for _, o := range def.Options {
			if o.Expr != nil {
				t.cols[at].def = a.defaultText(o.Expr, &t.cols[at])
			}
		}
	case ast.AlterTableAddConstraint:
		if con := spec.Constraint; con != nil && con.Tp == ast.ConstraintPrimaryKey {
			if con.Option != nil && con.Option.Comment == ddlMarker+"if-not-exists" && len(t.pk) > 0 {
				return nil
			}
			t.pk = a.keyColumns(t, con)
		}
	case ast.AlterTableDropPrimaryKey:
		t.pk = nil
	case ast.AlterTableDropCheck:
		// DROP CONSTRAINT, which MariaDB and MySQL apply to a key too: DROP
		// CONSTRAINT `PRIMARY` drops the primary key.
		if spec.Constraint != nil && strings.EqualFold(spec.Constraint.Name, "PRIMARY") {
			t.pk = nil
		}
	case ast.AlterTableDropIndex:
		if strings.EqualFold(spec.Name, "PRIMARY") {
			t.pk = nil
		}
	case ast.AlterTableOption:
		cs, convert := a.tableCharset("", spec.Options, t.charset)
		if cs == "" {
			return nil
		}
		if convert {
			for i := range t.cols {
				if c := &t.cols[i]; c.charset != "" && c.charset != "binary" && !c.json {
					convertText(c, a.charsetName(cs))
				}
			}
		}
		t.charset = cs
	}
	return nil
}

// column describes a column definition; pk reports an inline PRIMARY KEY.
func (a *ddlApplier) column(def *ast.ColumnDef, tableCharset string) (c colInfo, pk bool) {
	ft := def.Tp
	tp := ft.GetType()
	c = colInfo{name: def.Name.Name.O, nullable: true, unsigned: pmysql.HasUnsignedFlag(ft.GetFlag())}
	var marks []string // what normalizeDDL wrote as a marker comment
	var defExpr ast.ExprNode
	cs, coll := strings.ToLower(ft.GetCharset()), ft.GetCollate()
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			c.nullable = false
		case ast.ColumnOptionNull:
			c.nullable = true
		case ast.ColumnOptionPrimaryKey:
			pk, c.nullable = true, false
		case ast.ColumnOptionDefaultValue:
			defExpr = o.Expr
		case ast.ColumnOptionCollate:
			coll = o.StrValue
		case ast.ColumnOptionComment:
			if v, ok := o.Expr.(ast.ValueExpr); ok {
				if s, ok := v.GetValue().(string); ok && strings.HasPrefix(s, ddlMarker) {
					marks = append(marks, s[len(ddlMarker):])
				}
			}
		}
	}
	if cs == "" && coll != "" {
		cs = collationCharsetName(coll)
	}
	cs = a.charsetName(cs)
	flen, dec := ft.GetFlen(), ft.GetDecimal()
	text := func(name string) { // a character type: binary when its character set is
		if cs == "binary" {
			name = strings.NewReplacer("text", "blob", "char", "binary").Replace(name)
		} else if cs == "" {
			cs = a.charsetName(tableCharset)
		}
		c.dataType = name
		c.charset = cs
	}
	switch tp {
	case pmysql.TypeTiny, pmysql.TypeShort, pmysql.TypeInt24, pmysql.TypeLong, pmysql.TypeLonglong:
		c.dataType = map[byte]string{pmysql.TypeTiny: "tinyint", pmysql.TypeShort: "smallint", pmysql.TypeInt24: "mediumint",
			pmysql.TypeLong: "int", pmysql.TypeLonglong: "bigint"}[tp]
		width := map[string][2]int{"tinyint": {4, 3}, "smallint": {6, 5}, "mediumint": {9, 8}, "int": {11, 10}, "bigint": {20, 20}}[c.dataType]
		prec := map[string]int{"tinyint": 3, "smallint": 5, "mediumint": 7, "int": 10, "bigint": 19}[c.dataType]
		if flen <= 0 {
			flen = width[0]
			if c.unsigned {
				flen = width[1]
			}
		}
		if c.unsigned && (c.dataType == "bigint" || c.dataType == "mediumint") {
			prec++
		}
		c.precision = prec
		c.columnType = c.dataType + "(" + strconv.Itoa(flen) + ")"
	case pmysql.TypeNewDecimal:
		if flen <= 0 {
			flen = 10
		}
		dec = max(dec, 0)
		c.dataType, c.precision, c.scale = "decimal", flen, dec
		c.columnType = fmt.Sprintf("decimal(%d,%d)", flen, dec)
	case pmysql.TypeFloat, pmysql.TypeDouble:
		c.dataType = "float"
		c.precision = 12
		if tp == pmysql.TypeDouble {
			c.dataType, c.precision = "double", 22
		}
		c.columnType = c.dataType
		if flen > 0 && dec >= 0 {
			c.columnType += fmt.Sprintf("(%d,%d)", flen, dec)
			c.precision, c.scale = flen, dec
		}
	case pmysql.TypeBit:
		if flen <= 0 {
			flen = 1
		}
		c.dataType, c.precision = "bit", flen
		c.columnType = fmt.Sprintf("bit(%d)", flen)
	case pmysql.TypeDate:
		c.dataType = "date"
	case pmysql.TypeDatetime, pmysql.TypeTimestamp, pmysql.TypeDuration:
		c.dataType = map[byte]string{pmysql.TypeDatetime: "datetime", pmysql.TypeTimestamp: "timestamp", pmysql.TypeDuration: "time"}[tp]
		c.precision = max(dec, 0)
		c.columnType = c.dataType
		if dec > 0 {
			c.columnType += "(" + strconv.Itoa(dec) + ")"
		}
	case pmysql.TypeYear:
		c.dataType, c.columnType = "year", "year(4)"
	case pmysql.TypeVarchar, pmysql.TypeVarString, pmysql.TypeString:
		if tp == pmysql.TypeString {
			text("char")
			if flen < 0 {
				flen = 1
			}
		} else {
			text("varchar")
		}
		c.length = max(flen, 0)
		c.columnType = c.dataType + "(" + strconv.Itoa(c.length) + ")"
	case pmysql.TypeTinyBlob, pmysql.TypeBlob, pmysql.TypeMediumBlob, pmysql.TypeLongBlob:
		name := map[byte]string{pmysql.TypeTinyBlob: "tinytext", pmysql.TypeBlob: "text", pmysql.TypeMediumBlob: "mediumtext",
			pmysql.TypeLongBlob: "longtext"}[tp]
		c.length = map[byte]int{pmysql.TypeTinyBlob: 255, pmysql.TypeBlob: 65535, pmysql.TypeMediumBlob: 16777215,
			pmysql.TypeLongBlob: 4294967295}[tp]
		text(name)
		c.columnType = c.dataType
	case pmysql.TypeJSON:
		if a.flavor == gmysql.MariaDBFlavor {
			// MariaDB's JSON is LONGTEXT with a json_valid check, utf8mb4.
			c.dataType, c.columnType, c.charset, c.json, c.length = "longtext", "longtext", "utf8mb4", true, 4294967295
		} else {
			c.dataType, c.columnType = "json", "json"
		}
	case pmysql.TypeEnum, pmysql.TypeSet:
		name := "enum"
		if tp == pmysql.TypeSet {
			name = "set"
		}
		c.values = slices.Clone(ft.GetElems())
		if cs == "" {
			cs = a.charsetName(tableCharset)
		}
		// CHARACTER_MAXIMUM_LENGTH: the longest member; a SET's members and commas.
		for _, v := range c.values {
			n := utf8.RuneCountInString(v)
			if tp == pmysql.TypeSet {
				c.length += n + min(c.length, 1)
			} else {
				c.length = max(c.length, n)
			}
		}
		c.dataType, c.charset = name, cs
		quoted := make([]string, len(c.values))
		for i, v := range c.values {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		c.columnType = name + "(" + strings.Join(quoted, ",") + ")"
	case pmysql.TypeGeometry:
		c.dataType, c.columnType = "geometry", "geometry"
	default:
		c.dataType = strings.ToLower(types.TypeStr(tp))
		if c.dataType == "" {
			c.dataType = "type" + strconv.Itoa(int(tp))
		}
		c.columnType = c.dataType
	}
	if c.columnType == "" {
		c.columnType = c.dataType
	}
	if c.unsigned {
		c.columnType += " unsigned"
	}
	if pmysql.HasZerofillFlag(ft.GetFlag()) {
		c.columnType += " zerofill"
	}
	for _, mk := range marks {
		switch {
		case strings.HasPrefix(mk, "type="):
			// MariaDB's UUID, INET4, INET6: the catalog has no length, precision or
			// character set for them.
			tp := strings.TrimPrefix(mk, "type=")
			c.dataType, c.columnType, c.charset, c.length, c.precision, c.scale = tp, tp, "", 0, 0, 0
		case mk == "compressed":
			c.columnType += " /*M!100301 COMPRESSED*/"
		}
	}
	if defExpr != nil {
		c.def = a.defaultText(defExpr, &c)
	}
	if c.def == nil && !c.nullable && slices.Contains(marks, "compressed") {
		c.def = new(string)
		*c.def = "''" // MariaDB gives a NOT NULL compressed column this default
	}
	return c, pk
}

// defaultText renders the DEFAULT of column c as information_schema.COLUMNS.
// COLUMN_DEFAULT does: the value converted to the column's type (numbers as numbers,
// DECIMAL with its scale, dates and times in full, a SET's members in their order),
// strings quoted and escaped by MariaDB and unquoted by MySQL, NULL as no default. An
// expression normalizeDDL replaced by a marker string (see ddlDefault) is its text;
// other expressions are restored by the parser.
func (a *ddlApplier) defaultText(e ast.ExprNode, c *colInfo) *string {
	sign := ""
	if u, ok := e.(*ast.UnaryOperationExpr); ok && (u.Op == opcode.Minus || u.Op == opcode.Plus) {
		if v, ok := u.V.(ast.ValueExpr); ok { // -0.5: a literal too
			e = v
			if u.Op == opcode.Minus {
				sign = "-"
			}
		}
	}
	if v, ok := e.(ast.ValueExpr); ok {
		val := v.GetValue()
		if sign != "" && val != nil {
			val = sign + fmt.Sprint(val)
		}
		if val == nil {
			return nil
		}
		if s, ok := val.(string); ok && strings.HasPrefix(s, ddlMarker+"default=") {
			s = s[len(ddlMarker+"default="):]
			return &s
		}
		if s, str, ok := a.literal(val, c); ok {
			if str && a.flavor == gmysql.MariaDBFlavor {
				s = mariadbQuote(s)
			}
			return &s
		}
	}
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordLowercase|
		format.RestoreNameBackQuotes|format.RestoreStringWithoutCharset, &b)); err != nil {
		return nil
	}
	s := b.String()
	return &s
}

// mariadbQuote quotes a string as MariaDB writes a default value.
func mariadbQuote(s string) string {
	return "'" + strings.NewReplacer("\\", "\\\\", "'", "''", "\x00", "\\0", "\n", "\\n", "\r", "\\r").Replace(s) + "'"
}

// literal renders a literal default value for column c, and reports whether it is a
// string (to be quoted); ok is false for a value it cannot render.
func (a *ddlApplier) literal(val any, c *colInfo) (s string, str, ok bool) {
	var raw []byte // the value as a string of bytes, for a string column
	num := ""      // the value as a number
	switch v := val.(type) {
	case string:
		raw, num = []byte(v), strings.TrimSpace(v)
	case int64:
		num = strconv.FormatInt(v, 10)
	case uint64:
		num = strconv.FormatUint(v, 10)
	case float32:
		num = strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		num = strconv.FormatFloat(v, 'g', -1, 64)
	case test_driver.BinaryLiteral: // X'..', 0x.., B'..': a binary string, or a number in a numeric column
		raw = v
		var n big.Int
		num = n.SetBytes(v).String()
	case fmt.Stringer: // DECIMAL literal
		num = v.String()
	default:
		return "", false, false
	}
	if raw == nil {
		raw = []byte(num)
	}
	switch c.class() {
	case "int", "year":
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			return "", false, false
		}
		n := r.FloatString(0) // rounded half away from zero
		if c.class() == "year" {
			if y, err := strconv.Atoi(n); err == nil && y > 0 && y < 100 {
				n = strconv.Itoa(y + map[bool]int{true: 2000, false: 1900}[y < 70])
			}
		}
		return n, false, true
	case "decimal":
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			return "", false, false
		}
		return r.FloatString(c.scale), false, true
	case "float":
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return "", false, false
		}
		return strconv.FormatFloat(f, 'g', -1, 64), false, true
	case "bit":
		n, ok := new(big.Int).SetString(num, 10)
		if !ok {
			return "", false, false
		}
		return "b'" + n.Text(2) + "'", false, true
	case "date", "datetime", "time":
		if t, ok := timeLiteral(string(raw), c); ok {
			return t, true, true
		}
		return string(raw), true, true
	case "set":
		var members []string
		for _, v := range c.values {
			for _, m := range strings.Split(string(raw), ",") {
				if strings.EqualFold(m, v) {
					members = append(members, v)
					break
				}
			}
		}
		return strings.Join(members, ","), true, true
	case "str":
		if c.dataType == "binary" && len(raw) < c.length {
			raw = append(raw, make([]byte, c.length-len(raw))...) // BINARY(n) pads with zero bytes
		}
		return string(raw), true, true
	}
	return string(raw), true, true
}

var reTimeParts = regexp.MustCompile(`\d+`)

// timeLiteral writes a date or time default as the server stores it: '2020-1-2' or
// 20200102 as 2020-01-02 in a DATE, with 00:00:00 and the fractional digits of the
// column in a DATETIME or TIMESTAMP, '10:00' as 10:00:00 in a TIME.
func timeLiteral(s string, c *colInfo) (string, bool) {
	s = strings.TrimSpace(s)
	frac := ""
	if i := strings.LastIndexByte(s, '.'); i >= 0 && c.dataType != "date" {
		s, frac = s[:i], s[i+1:]
	}
	parts := reTimeParts.FindAllString(s, -1)
	if len(parts) == 1 && c.dataType != "time" { // YYYYMMDD[HHMMSS]
		d := parts[0]
		if len(d) != 8 && len(d) != 14 {
			return "", false
		}
		parts = []string{d[:4], d[4:6], d[6:8]}
		if len(d) == 14 {
			parts = append(parts, d[8:10], d[10:12], d[12:14])
		}
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return "", false
		}
		nums[i] = n
	}
	fsp := ""
	if c.precision > 0 {
		fsp = "." + (frac + strings.Repeat("0", c.precision))[:c.precision]
	}
	switch c.dataType {
	case "date":
		if len(nums) != 3 {
			return "", false
		}
		return fmt.Sprintf("%04d-%02d-%02d", nums[0], nums[1], nums[2]), true
	case "datetime", "timestamp":
		if len(nums) != 3 && len(nums) != 5 && len(nums) != 6 {
			return "", false
		}
		nums = append(nums, 0, 0, 0)
		return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]) + fsp, true
	case "time":
		if strings.HasPrefix(s, "-") || len(nums) < 2 || len(nums) > 3 || strings.ContainsAny(s, " ") {
			return "", false
		}
		nums = append(nums, 0)
		return fmt.Sprintf("%02d:%02d:%02d", nums[0], nums[1], nums[2]) + fsp, true
	}
	return "", false
}

// convertText gives a character column the character set of CONVERT TO CHARACTER SET:
// a TEXT type too small for as many characters in the new character set becomes the
// next larger one, as the server does.
func convertText(c *colInfo, cs string) {
	sizes := []struct {
		name string
		n    int
	}{{"tinytext", 255}, {"text", 65535}, {"mediumtext", 16777215}, {"longtext", 4294967295}}
	at := slices.IndexFunc(sizes, func(s struct {
		name string
		n    int
	}) bool {
		return s.name == c.dataType
	})
	if at >= 0 {
		need := sizes[at].n / charsetMaxLen(c.charset) * charsetMaxLen(cs)
		for at < len(sizes)-1 && sizes[at].n < need {
			at++
		}
		c.dataType, c.columnType, c.length = sizes[at].name, sizes[at].name, sizes[at].n
	}
	c.charset = cs
}

// charsetMaxLen is the longest character of a character set, in bytes.
func charsetMaxLen(cs string) int {
	if cs == "utf8mb3" {
		cs = "utf8"
	}
	if info, _ := charset.GetCharsetInfo(cs); info != nil && info.Maxlen > 0 {
		return info.Maxlen
	}
	return 1
}
