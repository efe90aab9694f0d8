'use strict';
// NestJS 11 microservice over its built-in TCP transport (JSON, '#'-delimited
// length prefix). Plain CommonJS: decorators are applied with Reflect.decorate
// so the harness needs no build step.
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Controller, Module } = require('@nestjs/common');
const { MessagePattern, Transport } = require('@nestjs/microservices');
const { serve } = require('../../lib/server-host');
const work = require('../../lib/work');

class BenchController {
  multiply(data) {
    return data.a * data.b;
  }

  echo(data) {
    return data;
  }

  burn(data) {
    return work.burn(data.id, data.deadline);
  }

  mixed(data) {
    return work.mixed(data.id, data.deadline);
  }
}
for (const name of ['multiply', 'echo', 'burn', 'mixed']) {
  Reflect.decorate([MessagePattern(name)], BenchController.prototype, name, Object.getOwnPropertyDescriptor(BenchController.prototype, name));
}
Reflect.decorate([Controller()], BenchController);

class BenchModule {}
Reflect.decorate([Module({ controllers: [BenchController] })], BenchModule);

serve(async () => {
  const app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: 0 },
    logger: false,
  });
  await app.listen();
  return { port: app.unwrap().address().port, close: () => app.close() };
});
