import { Authorize, currentContext, Method, Service } from '../../src';

/** Who a bearer token belongs to, as the sample's token check says. */
export interface Teller {
  name: string;
  role: 'treasurer' | 'clerk';
}

// Throwaway demo tokens. A real service asks its identity provider (verify a JWT, look up a session).
export const DEMO_TOKENS: Readonly<Record<string, Teller>> = {
  'demo-token-alice': { name: 'alice', role: 'treasurer' },
  'demo-token-mallory': { name: 'mallory', role: 'clerk' },
};

/** The SPIFFE id scripts/gen-certs.sh puts in alice's client certificate. */
export const ALICE_SPIFFE = 'URI:spiffe://rivet.sample/alice';

/**
 * Every method needs an authenticated caller (bearerAuth sets the principal); moving money also
 * needs the treasurer role and alice's client certificate: a stolen token alone is not enough.
 */
@Service('Treasury')
@Authorize<Teller>((teller) => teller !== undefined)
export class TreasuryService {
  private balanceCents = 1_000_000;

  @Method({ idempotent: true })
  balance(): { cents: number; askedBy: string } {
    const teller = currentContext()?.principal as Teller;
    return { cents: this.balanceCents, askedBy: teller.name };
  }

  @Method()
  @Authorize<Teller>((teller, ctx) => teller?.role === 'treasurer' && ctx.peer?.identity?.san.includes(ALICE_SPIFFE) === true)
  transfer(cents: number): { cents: number; by: string; certificate: string | undefined } {
    this.balanceCents -= cents;
    const ctx = currentContext();
    return { cents: this.balanceCents, by: (ctx?.principal as Teller).name, certificate: ctx?.peer?.identity?.subject };
  }
}
