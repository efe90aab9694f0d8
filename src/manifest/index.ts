// manifest/: the contract manifest format (what `rivet manifest` writes, `rivet diff` compares and
// `createApp({ contract })` serves through rivet.Reflection). Layer 1: imports errors/ only.
export {
  checkManifest,
  MANIFEST_VERSION,
  STREAM_KINDS,
  type ContractManifest,
  type ManifestMethod,
  type ManifestParam,
  type ManifestService,
  type StreamKind,
} from './manifest';
