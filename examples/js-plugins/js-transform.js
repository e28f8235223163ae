'use strict';

// A Kong JavaScript plugin: upper-cases the request body on the way in, and wraps the upstream's response
// body on the way out. Its `response` method makes the gateway buffer the whole upstream response.

class TransformPlugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const body = await kong.request.getRawBody();
    await Promise.all([
      kong.service.request.setQuery({ 'js-transform': 'v0.1.0' }),
      kong.service.request.setRawBody(body.toUpperCase()),
    ]);
  }

  async response(kong) {
    if ((await kong.response.getSource()) !== 'service') return;
    const body = await kong.service.response.getRawBody();
    const wrapped = `${this.config.prefix || 'upstream said:'}\n${body}\n(${body.length} bytes)\n`;
    await kong.response.exit(await kong.response.getStatus(), wrapped);
  }
}

module.exports = {
  Plugin: TransformPlugin,
  Schema: [
    { prefix: { type: 'string' } },
  ],
  Version: '0.1.0',
  Priority: 0,
};
