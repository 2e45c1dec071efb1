/**
 * lbguard's version as the functions report it to the hub (`lbguardVersion` of a heartbeat). A
 * constant rather than package.json read at run time (no file to read in a Lambda bundle);
 * test/unit/fleet-reports.test.ts holds it to package.json's, so a release cannot forget it.
 */
export const LBGUARD_RUNTIME_VERSION = '0.1.0';
