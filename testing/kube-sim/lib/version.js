'use strict';
// /version as kube-apiserver answers it (apimachinery pkg/version/types.go, wire §4.3). Each minor
// is pinned to a real patch release so kubectl's skew warning and anything that parses gitVersion
// see what a real cluster of that minor reports. Commit, build date and Go version are those of the
// official release build (the kubectl binaries shipped with google-cloud-cli carry the same values
// for 1.27.16, 1.28.15, 1.29.14, 1.31.9 and 1.32.5).

const RELEASES = {
  '1.27': ['v1.27.16', 'cbb86e0d7f4a049666fac0551e8b02ef3d6c3d9a', '2024-07-17T01:53:56Z', 'go1.22.5'],
  '1.28': ['v1.28.15', '841856557ef0f6a399096c42635d114d6f2cf7f4', '2024-10-22T20:34:56Z', 'go1.22.8'],
  '1.29': ['v1.29.14', '4f359b2e16764ab5e175195ee6992dfb53b36acf', '2025-02-12T21:34:28Z', 'go1.22.12'],
  '1.30': ['v1.30.14', '9e18483918821121abdf9aa82bc14d66df5d68cd', '2025-06-17T18:29:20Z', 'go1.23.10'],
  '1.31': ['v1.31.9', '8f3800390d488f54f74111f22973059e133f9cba', '2025-05-15T09:17:16Z', 'go1.23.8'],
  '1.32': ['v1.32.5', '9894294ef13a5b32803e3ca2c0d620a088cc84d1', '2025-05-15T09:12:10Z', 'go1.23.8'],
  '1.33': ['v1.33.5', '03e764d0394bdff662e960c70d25b3c30d731666', '2025-09-09T19:52:31Z', 'go1.24.6'],
};

// version.Info for the emulated minor, in Go's field order. From 1.33 the struct carries the
// emulation and minimum-compatibility versions (omitempty), which component-base fills with the
// binary's own minor and the minor before it when no --emulated-version flag is given.
function versionInfo(emulated) {
  const release = RELEASES[emulated];
  if (!release) throw new Error(`no release data for emulated version ${emulated}`);
  const [gitVersion, gitCommit, buildDate, goVersion] = release;
  const [major, minor] = emulated.split('.');
  const info = { major, minor };
  if (Number(minor) >= 33) {
    info.emulationMajor = major;
    info.emulationMinor = minor;
    info.minCompatibilityMajor = major;
    info.minCompatibilityMinor = String(Number(minor) - 1);
  }
  return { ...info, gitVersion, gitCommit, gitTreeState: 'clean', buildDate, goVersion, compiler: 'gc',
           platform: 'linux/amd64' };
}

module.exports = { versionInfo, RELEASES };
