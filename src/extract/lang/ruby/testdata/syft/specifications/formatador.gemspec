# frozen_string_literal: true
# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name = "formatador".freeze
  s.version = "1.0.0"

  s.authors = ["geemus".freeze]
  s.files = ["lib/formatador.rb".freeze]
  s.homepage = "https://github.com/geemus/#{s.name}".freeze
  s.licenses = ["MIT".freeze]
end
