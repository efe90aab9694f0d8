// admission/: overload protection of a server (docs/overload.md): deadline-aware admission, the
// queue with CoDel and adaptive LIFO, the adaptive (Gradient2) limit, the event-loop backstop.
// Layer 2, beside resilience/: imports errors/ and util/ only; server/ calls it through small hooks.
export { Admission, Sample, Verdict, type QueuedCall, type ShedEvent, type ShedReason, type ServerLoad, type AdmissionDeps } from './admission';
export { resolveAdmission, type AdmissionOptions, type AdmissionParts, type ResolvedAdmission } from './admission-options';
export { GradientLimit, GRADIENT_DEFAULTS, type GradientOptions } from './gradient-limit';
export { MethodStats } from './method-stats';
export { CallDeque } from './call-deque';
export { Backstop, BACKSTOP_WINDOW_MS } from './backstop';
