/**
 * Prints what an editor shows for Athanor's loaded-result types: the TypeScript language service's
 * quick info (hover) at a few positions of an in-memory example over the test fixtures' models,
 * and the compiler's error messages for reads of unloaded relationships. docs/typing.md quotes
 * this output verbatim.
 *
 *   tsx bench/typecheck/hover.ts
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const EXAMPLE = join(HERE, "hover-example.ts"); // in memory only

const SOURCE = `import { select, selectinload, type Loaded, type Session } from "../../src/index.js";
import { Order, User } from "../../test/fixtures/models.js";

export async function example(session: Session) {
  const result = await session.execute(select(User).options(selectinload(User.orders).selectinload(Order.products)));
  const users = result.scalars().all();
  const user = users[0]!;
  const orders = user.orders;
  const products = user.orders[0]!.products;
  const invoice = user.invoice;
  const plain = (await session.execute(select(User))).scalars().all()[0]!;
  const got = await session.get(User, 1, { options: [selectinload(User.orders)] });
  return [orders, products, invoice, plain, got];
}

export function productNames(user: Loaded<User, "orders.products">): string[] {
  return user.orders.flatMap((o) => o.products.map((p) => p.name));
}

export async function mistakes(session: Session) {
  const users = (await session.execute(select(User).options(selectinload(User.orders).selectinload(Order.products)))).scalars().all();
  users[0]!.invoice?.amount;
  users[0]!.orders[0]!.user?.email;
  const plain = (await session.execute(select(User))).scalars().all();
  plain[0]!.orders.length;
  productNames(plain[0]!);
}
`;

/**
 * Known limits: each line marked `// limit` compiles although it is wrong at run time (or at
 * least not what the types suggest). The script checks that this file has no errors.
 */
const LIMITS_FILE = join(HERE, "hover-limits.ts"); // in memory only
const LIMITS = `import { column, declarativeBase, select, selectinload, type AnyLoad, type Session } from "../../src/index.js";
import { Order, User } from "../../test/fixtures/models.js";

interface EagerModels { Author: Author; Book: Book }
const EagerBase = declarativeBase<EagerModels>();
class Author extends EagerBase.entity("authors", {
  id: column.integer().primaryKey(),
  books: EagerBase.many("Book", { lazy: "selectin", backPopulates: "author" }),
}) {}
class Book extends EagerBase.entity("books", {
  id: column.integer().primaryKey(),
  authorId: column.integer().references("authors.id"),
  author: EagerBase.one("Author", { lazy: "selectin", backPopulates: "books" }),
}) {}
EagerBase.register({ Author, Book });

export async function limits(session: Session) {
  const books = (await session.execute(select(Book))).scalars().all();
  books[0]!.author.books.length; // limit 1: eager defaults both ways: Author.books is not loaded under Book.author (it leads back to Book), NotLoadedError
  const users = (await session.execute(select(User).options(selectinload(User.orders)))).scalars().all();
  await session.commit();
  users[0]!.email.length; // limit 2: expired by commit() (expireOnCommit): NotLoadedError
  users[0]!.orders.length; // limit 2: same
  const dynamic: AnyLoad[] = [selectinload(Order.products)];
  await session.execute(select(User).options(...dynamic)); // limit 5: an AnyLoad[] is checked at run time only: ArgumentError
  await session.refresh(users[0]!, { options: [selectinload(Order.products)] }); // limit 6: refresh() options are checked at run time only: ArgumentError
}
`;

const HOVERS: readonly { readonly label: string; readonly at: string }[] = [
  { label: "users (`result.scalars().all()`)", at: "const users = result" },
  { label: "user (`users[0]!`)", at: "const user = users[0]" },
  { label: "user.orders", at: "const orders = user" },
  { label: "user.orders[0]!.products", at: "const products = user" },
  { label: "user.invoice (not loaded)", at: "const invoice = user" },
  { label: "a User from select(User) without options", at: "const plain = (" },
  { label: "session.get(User, 1, { options: [selectinload(User.orders)] })", at: "const got = await" },
  { label: "parameter typed Loaded<User, \"orders.products\">", at: "productNames(user" },
];

function main(): void {
  const config = ts.readConfigFile(join(REPO, "tsconfig.json"), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO);
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => parsed.options,
    getScriptFileNames: () => [EXAMPLE, LIMITS_FILE],
    getScriptVersion: () => "1",
    getScriptSnapshot: (file) => {
      if (file === EXAMPLE) return ts.ScriptSnapshot.fromString(SOURCE);
      if (file === LIMITS_FILE) return ts.ScriptSnapshot.fromString(LIMITS);
      const text = ts.sys.readFile(file);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => REPO,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f === EXAMPLE || f === LIMITS_FILE || ts.sys.fileExists(f),
    readFile: (f) => (f === EXAMPLE ? SOURCE : f === LIMITS_FILE ? LIMITS : ts.sys.readFile(f)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());

  console.log(`TypeScript ${ts.version}\n`);
  for (const { label, at } of HOVERS) {
    const start = SOURCE.indexOf(at);
    if (start < 0) throw new Error(`marker not found: ${at}`);
    // The identifier after "const " / before "(": hover on the declared name.
    const name = /(?:const\s+)?([A-Za-z]+)/.exec(at)!;
    const pos = start + at.indexOf(name[1]!);
    const info = service.getQuickInfoAtPosition(EXAMPLE, pos);
    const text = ts.displayPartsToString(info?.displayParts);
    console.log(`## hover: ${label}\n${text}\n`);
  }

  const diagnostics = service.getSemanticDiagnostics(EXAMPLE);
  for (const d of diagnostics) {
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
    const code = SOURCE.split("\n")[line]!.trim();
    console.log(`## error TS${d.code} at \`${code}\`\n${ts.flattenDiagnosticMessageText(d.messageText, "\n")}\n`);
  }
  // Sanity: the file type-checks except for the deliberate mistakes.
  const expected = 4;
  if (diagnostics.length !== expected) {
    console.error(`expected ${expected} errors (the mistakes), got ${diagnostics.length}`);
    process.exitCode = 1;
  }

  const limitErrors = service.getSemanticDiagnostics(LIMITS_FILE);
  const limitLines = LIMITS.split("\n").filter((l) => l.includes("// limit"));
  console.log(`## limits: ${limitLines.length} lines that compile (${limitErrors.length} errors in the file)`);
  for (const d of limitErrors) console.log(`unexpected error: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  for (const l of limitLines) console.log(l.trim());
  if (limitErrors.length > 0) process.exitCode = 1;
}

main();
