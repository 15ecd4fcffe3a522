/** Test helpers shipped with Athanor (`athanor/testing`). */
export { assertQueryCount, captureStatements, withStatements, StatementCapture, QueryCountError, type CapturedStatement } from "./assert-sql.js";
