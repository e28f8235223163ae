'use strict';

// A Kong JavaScript plugin with a bug: its access handler fails on every request. The gateway answers 500
// and logs the plugin, route and request id; other routes keep working.

class ThrowingPlugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    await kong.request.getHeader('host');
    throw new Error(this.config.message || 'js-throws failed on purpose');
  }
}

module.exports = {
  Plugin: ThrowingPlugin,
  Schema: [
    { message: { type: 'string' } },
  ],
  Version: '0.1.0',
  Priority: 0,
};
