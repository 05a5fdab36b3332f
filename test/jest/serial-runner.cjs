// Jest's own runner, one test file at a time (Jest honours a runner's `isSerial`): for the e2e
// project, whose every file starts the whole system. Other projects keep running in parallel.
// CommonJS because Jest loads runners with require().
const { default: TestRunner } = require('jest-runner');

module.exports = class SerialRunner extends TestRunner {
  isSerial = true;
};
