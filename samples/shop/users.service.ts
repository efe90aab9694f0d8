import { Method, RpcError, Service } from '../../src';

export interface User {
  id: string;
  name: string;
  vip: boolean;
}

/** Who may order. */
@Service('Users')
export class UsersService {
  private readonly users = new Map<string, User>([
    ['u1', { id: 'u1', name: 'Ada', vip: true }],
    ['u2', { id: 'u2', name: 'Linus', vip: false }],
  ]);

  @Method({ idempotent: true, timeoutMs: 1_000 })
  get(id: string): User {
    const user = this.users.get(id);
    if (user === undefined) throw new RpcError('NOT_FOUND', `no user ${id}`, { userId: id });
    return user;
  }
}
