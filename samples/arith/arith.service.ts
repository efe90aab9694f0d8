import { Method, Service } from '../../src';

@Service('Arith')
export class Arith {
  @Method({ idempotent: true })
  multiply(a: number, b: number): number {
    return a * b;
  }
}

@Service('Greeter')
export class Greeter {
  @Method({ idempotent: true })
  sayHello(name: string): string {
    return `Hello, ${name}!`;
  }
}
