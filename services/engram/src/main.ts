import 'reflect-metadata';
import { runApi } from './http/run-api';

/** The api entrypoint (`npm start`); `engram serve` runs the same function. */
runApi(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
