'use strict';

// A Kong JavaScript plugin: greets the caller in a response header, with a message from its config.

class HelloPlugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    if (host === undefined) {
      return await kong.log.err('the request has no Host header');
    }
    const message = this.config.message || 'hello';
    await Promise.all([
      kong.response.setHeader('x-hello-from-javascript', `${message}, ${host}, from JavaScript`),
      kong.response.setHeader('x-javascript-pid', process.pid),
    ]);
  }
}

module.exports = {
  Plugin: HelloPlugin,
  Schema: [
    { message: { type: 'string' } },
  ],
  Version: '0.1.0',
  Priority: 0,
};
